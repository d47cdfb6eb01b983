// Atomic output of report files.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/sdk.hpp>
#include <random>
#include <set>
#include <string_view>

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

namespace fs = std::filesystem;

struct Pending {
  fs::path tmp, final;
};

// A name for a temporary file that nobody can guess ahead: ".<name>.tmp.<pid>.<random>".
std::string temp_suffix() {
  thread_local std::mt19937_64 rng{std::random_device{}() ^ static_cast<std::uint64_t>(::getpid())};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%012llx", static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
  return ".tmp." + std::to_string(::getpid()) + "." + buf;
}

// Creates a fresh temporary file next to `final` and writes `content` to it; returns its path. The file is
// created with O_CREAT|O_EXCL|O_NOFOLLOW: whatever already has the name (a file, or a link planted to make us
// write elsewhere) is never opened, another name is tried instead. A failure names `final`, carries the errno of
// the call that failed (ENOSPC on a full disk) and removes the temporary.
int open_temp(const fs::path& final, fs::path& tmp) {
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = final.parent_path() / ("." + final.filename().string() + temp_suffix());
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt >= 16)) {
      throw OutputError("cannot write '" + final.string() + "': " + std::strerror(errno));
    }
  }
  return fd;
}

// Writes all of `data` to `fd`; 0, or the errno of the failure (ENOSPC when a write makes no progress).
int write_all(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : ENOSPC;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

fs::path write_temp(const fs::path& final, const std::string& content) {
  fs::path tmp;
  const int fd = open_temp(final, tmp);
  int failed = write_all(fd, content);
  if (::close(fd) != 0 && failed == 0 && errno != EINTR) failed = errno;
  if (failed != 0) {
    ::unlink(tmp.c_str());
    throw OutputError("cannot write '" + final.string() + "': " + std::strerror(failed));
  }
  return tmp;
}

// Creates `dir` and its missing parents, appending each folder it created to `created` (outermost first).
void make_folders(const fs::path& dir, std::vector<fs::path>& created) {
  std::error_code ec;
  std::vector<fs::path> missing;
  for (fs::path p = dir; !p.empty() && !fs::exists(fs::symlink_status(p, ec)); p = p.parent_path()) {
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0777) != 0) {
      throw OutputError("cannot create folder '" + it->string() + "': " + std::strerror(errno));
    }
    created.push_back(*it);
  }
  if (!fs::is_directory(dir, ec)) {
    throw OutputError("cannot create folder '" + dir.string() + "': " + std::strerror(ENOTDIR));
  }
}

// The folders between `dir` and the file `rel` names must be real folders, not links: a link planted inside a
// shared output folder (layers -> /elsewhere) would otherwise send the files elsewhere.
void refuse_links(const fs::path& dir, const std::string& rel) {
  fs::path p = dir;
  const fs::path parent = fs::path(rel).parent_path();
  for (const auto& seg : parent) {
    p /= seg;
    std::error_code ec;
    if (fs::is_symlink(fs::symlink_status(p, ec))) {
      throw OutputError("cannot write '" + (dir / rel).string() + "': '" + p.string() +
                        "' is a symbolic link (files are never written through a link inside the output folder)");
    }
  }
}

// After a commit: in each subfolder it wrote into (layers/), the files with an extension it wrote there that it did
// not write now are left from an earlier run (another plugin's layer pages): removed. The top folder is left alone.
void remove_stale(const fs::path& dir, const std::vector<const mm_output*>& outputs) {
  std::map<fs::path, std::pair<std::set<std::string>, std::set<std::string>>> folders;  // names, extensions
  for (const mm_output* out : outputs) {
    for (const auto& f : out->files) {
      const fs::path rel(f.first);
      if (!rel.has_parent_path()) continue;
      auto& [names, exts] = folders[dir / rel.parent_path()];
      names.insert(rel.filename().string());
      exts.insert(rel.extension().string());
    }
  }
  for (const auto& [folder, written] : folders) {
    std::error_code ec;
    std::vector<fs::path> stale;
    for (const auto& e : fs::directory_iterator(folder, ec)) {
      const std::string name = e.path().filename().string();
      if (written.first.count(name) || !written.second.count(e.path().extension().string())) continue;
      if (name.starts_with(".")) continue;  // a temporary of a run under way
      std::error_code ec2;
      const auto st = e.symlink_status(ec2);
      if (!ec2 && (fs::is_regular_file(st) || fs::is_symlink(st))) stale.push_back(e.path());
    }
    for (const auto& p : stale) fs::remove(p, ec);
  }
}

}  // namespace

namespace {

// The folder checks of a file about to be written at dir/rel: no link on the way, its folders made (appended to
// `created`), no folder at its name.
fs::path prepare_final(const fs::path& dir, const std::string& rel, std::vector<fs::path>& created) {
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw OutputError("output folder '" + dir.string() + "' is a file, not a folder");
  }
  const fs::path final = dir / rel;
  refuse_links(dir, rel);
  make_folders(final.parent_path(), created);
  refuse_links(dir, rel);
  if (fs::is_directory(fs::symlink_status(final, ec))) {
    throw OutputError("cannot write '" + final.string() + "': a folder is in the way");
  }
  return final;
}

void remove_folders(const std::vector<fs::path>& created) {
  std::error_code ec;
  for (auto it = created.rbegin(); it != created.rend(); ++it) fs::remove(*it, ec);  // if empty
}

}  // namespace

StreamedFile::StreamedFile(const fs::path& dir, const std::string& rel) {
  mm_output check;
  mm_error err{};
  if (emit_file(&check, rel.c_str(), nullptr, 0, &err) != MM_OK) {
    err.message[MM_ERROR_MESSAGE_CAPACITY - 1] = '\0';
    throw OutputError("cannot write '" + (dir / rel).string() + "': " + err.message);
  }
  try {
    final_ = prepare_final(dir, rel, created_);
    fd_ = open_temp(final_, tmp_);
  } catch (...) {
    remove_folders(created_);
    throw;
  }
  buffer_.reserve(kBufferBytes);
}

StreamedFile::~StreamedFile() {
  if (fd_ >= 0) ::close(fd_);
  if (committed_) return;
  if (!tmp_.empty()) ::unlink(tmp_.c_str());
  remove_folders(created_);
}

void StreamedFile::flush() {
  if (fd_ < 0) throw OutputError("cannot write '" + final_.string() + "': written after it was finished");
  const int failed = write_all(fd_, buffer_);
  buffer_.clear();
  if (failed != 0) throw OutputError("cannot write '" + final_.string() + "': " + std::strerror(failed));
}

void StreamedFile::write(std::string_view data) {
  if (buffer_.size() + data.size() > kBufferBytes) flush();
  if (data.size() >= kBufferBytes) {
    buffer_ = data;
    flush();
    return;
  }
  buffer_ += data;
}

void StreamedFile::finish() {
  flush();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0 && errno != EINTR) {
    throw OutputError("cannot write '" + final_.string() + "': " + std::strerror(errno));
  }
}

void commit_outputs(const fs::path& dir, const std::vector<const mm_output*>& outputs) {
  commit_outputs(dir, outputs, {});
}

void commit_outputs(const fs::path& dir, const std::vector<const mm_output*>& outputs,
                    const std::vector<StreamedFile*>& streamed) {
  std::vector<Pending> pending;
  std::vector<fs::path> created;  // folders made by this commit, removed again on failure
  auto cleanup = [&] {
    std::error_code ec;
    for (const auto& p : pending) fs::remove(p.tmp, ec);
    remove_folders(created);
  };
  try {
    for (const StreamedFile* f : streamed) {
      if (f->fd_ >= 0) throw OutputError("cannot write '" + f->final_.string() + "': not finished");
    }
    for (const mm_output* out : outputs) {
      for (const auto& [rel, content] : out->files) {
        const fs::path final = prepare_final(dir, rel, created);
        pending.push_back(Pending{write_temp(final, content), final});
      }
    }
    std::vector<Pending> renames;
    for (const StreamedFile* f : streamed) renames.push_back(Pending{f->tmp_, f->final_});
    renames.insert(renames.end(), pending.begin(), pending.end());
    for (std::size_t i = 0; i < renames.size(); ++i) {
      const Pending& p = renames[i];
      // rename() replaces the name itself: a link at the final name is replaced, never followed.
      if (::rename(p.tmp.c_str(), p.final.c_str()) != 0) {
        throw OutputError("cannot write '" + p.final.string() + "': " + std::strerror(errno));
      }
      if (i < streamed.size()) streamed[i]->committed_ = true;
    }
  } catch (...) {
    cleanup();
    throw;
  }
  remove_stale(dir, outputs);
}

}  // namespace modelmeter::core
