// Atomic output of report files.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/sdk.hpp>

namespace modelmeter::core {

mm_status emit_file(mm_output* output, const char* relative_path, const char* data, size_t size,
                    mm_error* err) noexcept {
  return modelmeter::detail::guarded(err, "emit_file", [&] {
    if (output == nullptr || relative_path == nullptr || (data == nullptr && size > 0)) {
      throw modelmeter::InvalidArgument("null argument");
    }
    const std::string rel = relative_path;
    bool ok = !rel.empty() && rel.front() != '/' && rel.back() != '/';
    std::size_t start = 0;
    while (ok && start <= rel.size()) {
      const std::size_t end = rel.find('/', start);
      const std::string seg = rel.substr(start, end == std::string::npos ? std::string::npos : end - start);
      if (seg.empty() || seg == "." || seg == "..") ok = false;
      if (end == std::string::npos) break;
      start = end + 1;
    }
    if (!ok) throw modelmeter::InvalidArgument("'" + rel + "' is not a relative path inside the output folder");
    for (const auto& f : output->files) {
      if (f.first == rel) throw modelmeter::InvalidArgument("'" + rel + "' was emitted twice");
    }
    output->files.emplace_back(rel, std::string(data, size));
  });
}

namespace {

struct Pending {
  std::filesystem::path tmp, final;
};

// Writes `content` to the temporary file `p`; a failure names `shown` (the final path) and removes `p`.
void write_all(const std::filesystem::path& p, const std::filesystem::path& shown, const std::string& content) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (f == nullptr) throw OutputError("cannot write '" + shown.string() + "': " + std::strerror(errno));
  const bool wrote = std::fwrite(content.data(), 1, content.size(), f) == content.size();
  const int saved = errno;
  const bool flushed = std::fflush(f) == 0;
  const bool closed = std::fclose(f) == 0;
  if (!wrote || !flushed || !closed) {
    std::error_code ec;
    std::filesystem::remove(p, ec);
    throw OutputError("cannot write '" + shown.string() + "': " + std::strerror(saved ? saved : errno));
  }
}

// Creates `dir` and its missing parents, appending each folder it created to `created` (outermost first).
void make_folders(const std::filesystem::path& dir, std::vector<std::filesystem::path>& created) {
  std::error_code ec;
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty() && !std::filesystem::exists(p, ec); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::filesystem::create_directory(*it, ec);
    if (ec) throw OutputError("cannot create folder '" + it->string() + "': " + ec.message());
    created.push_back(*it);
  }
  if (!std::filesystem::is_directory(dir, ec)) {
    throw OutputError("cannot create folder '" + dir.string() + "': " + std::strerror(ENOTDIR));
  }
}

}  // namespace

void commit_outputs(const std::filesystem::path& dir, const std::vector<const mm_output*>& outputs) {
  std::vector<Pending> pending;
  std::vector<std::filesystem::path> created;  // folders made by this commit, removed again on failure
  auto cleanup = [&] {
    std::error_code ec;
    for (const auto& p : pending) std::filesystem::remove(p.tmp, ec);
    for (auto it = created.rbegin(); it != created.rend(); ++it) std::filesystem::remove(*it, ec);  // if empty
  };
  try {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
      throw OutputError("output folder '" + dir.string() + "' is a file, not a folder");
    }
    const std::string suffix = ".tmp." + std::to_string(::getpid());
    for (const mm_output* out : outputs) {
      for (const auto& [rel, content] : out->files) {
        const std::filesystem::path final = dir / rel;
        make_folders(final.parent_path(), created);
        if (std::filesystem::is_directory(final, ec)) {
          throw OutputError("cannot write '" + final.string() + "': a folder is in the way");
        }
        Pending p{final.parent_path() / ("." + final.filename().string() + suffix), final};
        pending.push_back(p);
        write_all(p.tmp, p.final, content);
      }
    }
    for (const auto& p : pending) {
      std::filesystem::rename(p.tmp, p.final, ec);
      if (ec) throw OutputError("cannot write '" + p.final.string() + "': " + ec.message());
    }
  } catch (...) {
    cleanup();
    throw;
  }
}

}  // namespace modelmeter::core
