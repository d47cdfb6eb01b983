// Plugin loading through Boost.DLL with two-way ABI negotiation.
#include <elf.h>

#include <algorithm>
#include <atomic>
#include <boost/dll/shared_library.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/core/plugin.hpp>

namespace modelmeter::core {

namespace {

std::atomic<LogSink> g_sink{nullptr};

void host_log(mm_log_level level, const char* message) {
  if (LogSink sink = g_sink.load(); sink != nullptr && message != nullptr) sink(level, message);
}

const mm_host_api kHostApi = {
    sizeof(mm_host_api), MM_ABI_VERSION, &host_log, &config_get, &create_op, &emit_file,
};

std::string quoted(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

// Boost.DLL's messages carry a prefix and dlerror's text; keep the latter.
std::string load_error_text(const std::string& what) {
  const std::string marker = "dlerror system message: ";
  auto pos = what.find(marker);
  std::string text = pos == std::string::npos ? what : what.substr(pos + marker.size());
  while (!text.empty() && (text.back() == ']' || text.back() == ')' || text.back() == ' ')) text.pop_back();
  return text;
}

// Checks the ELF headers before dlopen: glibc maps segments that run past the end of a truncated file and
// the process then dies of SIGBUS, so a truncated or corrupt file must be refused here, with a message.
// Returns an empty string for a plausible 64-bit shared object of this machine, else what is wrong.
std::string elf_problem(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::error_code ec;
  const auto size = std::filesystem::file_size(p, ec);
  if (!f || ec) return "cannot read the file";
  Elf64_Ehdr eh{};
  f.read(reinterpret_cast<char*>(&eh), sizeof eh);
  if (f.gcount() < 4 || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return "not a shared library (no ELF header)";
  if (static_cast<std::size_t>(f.gcount()) < sizeof eh) return "truncated (" + std::to_string(size) + " bytes)";
#if defined(__aarch64__)
  constexpr unsigned kMachine = EM_AARCH64;
#else
  constexpr unsigned kMachine = EM_X86_64;
#endif
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != kMachine) {
    return "not a 64-bit shared library for this machine";
  }
  if (eh.e_type != ET_DYN) return "an ELF file but not a shared library";
  const std::string truncated = "truncated or corrupt (" + std::to_string(size) + " bytes, its ELF headers need more)";
  const auto fits = [&](uint64_t offset, uint64_t length) { return offset <= size && length <= size - offset; };
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || !fits(eh.e_phoff, uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr))) {
    return truncated;
  }
  if (eh.e_shnum > 0 && !fits(eh.e_shoff, uint64_t{eh.e_shnum} * eh.e_shentsize)) return truncated;
  f.seekg(static_cast<std::streamoff>(eh.e_phoff));
  for (unsigned i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.read(reinterpret_cast<char*>(&ph), sizeof ph);
    if (!f) return truncated;
    if ((ph.p_type == PT_LOAD || ph.p_type == PT_DYNAMIC) && !fits(ph.p_offset, ph.p_filesz)) return truncated;
  }
  return {};
}

}  // namespace

struct Plugin::Library {
  boost::dll::shared_library lib;
};

void set_log_sink(LogSink sink) noexcept {
  g_sink.store(sink);
}
const mm_host_api* host_api() noexcept {
  return &kHostApi;
}

std::string abi_version_text(uint32_t v) {
  return std::to_string(MM_ABI_MAJOR_OF(v)) + "." + std::to_string(MM_ABI_MINOR_OF(v));
}

uint32_t metric_count_for(uint32_t abi_version) noexcept {
  if (MM_ABI_MAJOR_OF(abi_version) != MM_ABI_VERSION_MAJOR) return 0;
  const uint32_t minor = MM_ABI_MINOR_OF(abi_version);
  if (minor == 0) return MM_METRIC_COUNT_1_0;
  if (minor < 3) return MM_METRIC_COUNT_1_1;
  return MM_METRIC_COUNT;
}

Plugin::~Plugin() = default;

const KeyCatalog& Plugin::catalog() const {
  const std::lock_guard<std::mutex> lock(catalog_mutex_);
  if (!catalog_) {
    auto c = std::make_unique<KeyCatalog>(KeyCatalog::core_keys());
    c->add_plugin_keys(name_, info_.keys, info_.key_count);
    catalog_ = std::move(c);
  }
  return *catalog_;
}

std::shared_ptr<const Plugin> Plugin::load(const std::filesystem::path& path) {
  const std::string where = "cannot load plugin " + quoted(path);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw PluginLoadError(where + ": file does not exist");
  if (!std::filesystem::is_regular_file(path, ec)) throw PluginLoadError(where + ": not a regular file");
  if (const std::string problem = elf_problem(path); !problem.empty()) throw PluginLoadError(where + ": " + problem);

  std::shared_ptr<Plugin> p(new Plugin());
  p->path_ = path;
  p->library_ = std::make_unique<Library>();
  try {
    p->library_->lib.load(boost::dll::fs::path(path.string()),
                          boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw PluginLoadError(where + ": " + load_error_text(e.what()));
  }
  if (!p->library_->lib.has(MM_PLUGIN_ENTRY_SYMBOL)) {
    throw PluginLoadError(where + ": no entry symbol '" MM_PLUGIN_ENTRY_SYMBOL "' (not a ModelMeter plugin)");
  }
  auto entry = p->library_->lib.get<mm_status(mm_negotiation*, mm_error*)>(MM_PLUGIN_ENTRY_SYMBOL);

  mm_negotiation n{};
  n.struct_size = sizeof n;
  n.host_abi_version = MM_ABI_VERSION;
  n.host_abi_min_version = MM_ABI_MIN_SUPPORTED;
  n.host = &kHostApi;
  mm_error err{};
  const mm_status status = entry(&n, &err);

  // The versions are checked before anything else the plugin answered is touched.
  const uint32_t v = n.plugin_abi_version;
  const std::string host_v = abi_version_text(MM_ABI_VERSION);
  const std::string range = " (this host loads ABI " + abi_version_text(MM_ABI_MIN_SUPPORTED) + " to " + host_v + ")";
  if (v == 0) throw PluginLoadError(where + ": the plugin did not state its ABI version");
  if (MM_ABI_MAJOR_OF(v) != MM_ABI_VERSION_MAJOR) {
    throw PluginLoadError(where + ": plugin ABI " + abi_version_text(v) + " is another major version than host ABI " +
                          host_v + range);
  }
  if (v > MM_ABI_VERSION) {
    throw PluginLoadError(where + ": plugin ABI " + abi_version_text(v) + " is newer than host ABI " + host_v + range);
  }
  if (v < MM_ABI_MIN_SUPPORTED) {
    throw PluginLoadError(where + ": plugin ABI " + abi_version_text(v) + " is older than this host supports" + range);
  }
  if (status != MM_OK || n.info == nullptr) {
    err.message[MM_ERROR_MESSAGE_CAPACITY - 1] = '\0';
    throw PluginLoadError(where + ": the plugin refused host ABI " + host_v +
                          (err.message[0] ? std::string(": ") + err.message : std::string()));
  }
  const mm_plugin_info* raw = n.info;
  if (raw->struct_size < offsetof(mm_plugin_info, description) + sizeof(raw->description)) {
    throw PluginLoadError(where + ": its plugin table is too small (" + std::to_string(raw->struct_size) + " bytes)");
  }
  std::memcpy(&p->info_, raw, std::min<std::size_t>(raw->struct_size, sizeof p->info_));
  const mm_plugin_info& info = p->info_;
  if (info.abi_version != v) {
    throw PluginLoadError(where + ": its table says ABI " + abi_version_text(info.abi_version) + " but it negotiated " +
                          abi_version_text(v));
  }
  if (info.name == nullptr || info.name[0] == '\0') throw PluginLoadError(where + ": the plugin has no name");
  p->name_ = info.name;
  p->version_ = info.version != nullptr ? info.version : "";
  p->description_ = info.description != nullptr ? info.description : "";
  p->abi_version_ = v;
  if (info.kind == MM_PLUGIN_MODEL) {
    if (info.plan == nullptr || info.build_stage == nullptr) {
      throw PluginLoadError(where + ": model plugin '" + p->name_ + "' lacks plan or build_stage");
    }
    if (info.key_count > 0 && info.keys == nullptr) throw PluginLoadError(where + ": key table is null");
    if (info.class_count > 0 && info.classes == nullptr) throw PluginLoadError(where + ": class table is null");
    for (std::size_t i = 0; i < info.class_count; ++i) {
      const mm_layer_class* c = info.classes[i];
      if (c == nullptr || c->name == nullptr || c->metrics == nullptr || c->destroy == nullptr) {
        throw PluginLoadError(where + ": layer class #" + std::to_string(i) + " is incomplete");
      }
    }
  } else if (info.kind == MM_PLUGIN_WRITER) {
    if (info.format == nullptr || info.write == nullptr) {
      throw PluginLoadError(where + ": writer plugin '" + p->name_ + "' lacks format or write");
    }
  } else {
    throw PluginLoadError(where + ": unknown plugin kind " + std::to_string(info.kind));
  }
  return p;
}

SearchPath make_search_path(const std::vector<std::filesystem::path>& plugin_dirs, const char* env_value,
                            const std::filesystem::path& bundled) {
  SearchPath s;
  s.dirs = plugin_dirs;
  if (env_value != nullptr) {
    std::string_view env(env_value);
    while (!env.empty()) {
      const auto colon = env.find(':');
      const std::string_view dir = env.substr(0, colon);
      if (!dir.empty()) s.dirs.emplace_back(std::string(dir));
      if (colon == std::string_view::npos) break;
      env.remove_prefix(colon + 1);
    }
  }
  s.dirs.push_back(bundled);
  return s;
}

std::vector<std::filesystem::path> plugin_files(const SearchPath& search) {
  std::vector<std::filesystem::path> out;
  for (const auto& dir : search.dirs) {
    std::error_code ec;
    std::vector<std::filesystem::path> here;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".so" && e.is_regular_file(ec)) here.push_back(e.path());
    }
    std::sort(here.begin(), here.end());
    out.insert(out.end(), here.begin(), here.end());
  }
  return out;
}

std::filesystem::path find_plugin(const std::string& name_or_path, const SearchPath& search, const char* what) {
  if (name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".so")) return name_or_path;
  std::vector<std::filesystem::path> hits;
  std::vector<std::string> names;
  for (const auto& f : plugin_files(search)) {
    if (f.stem() == name_or_path) {
      if (std::find(hits.begin(), hits.end(), f) == hits.end()) hits.push_back(f);
    }
    if (std::find(names.begin(), names.end(), f.stem().string()) == names.end()) names.push_back(f.stem().string());
  }
  if (hits.size() > 1) {
    throw PluginLoadError(std::string(what) + " '" + name_or_path + "' is found twice: " + quoted(hits[0]) + " and " +
                          quoted(hits[1]) + "; remove one or pass a path");
  }
  if (hits.empty()) {
    std::sort(names.begin(), names.end());
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    std::string dirs;
    for (const auto& d : search.dirs) dirs += (dirs.empty() ? "" : ":") + d.string();
    throw PluginLoadError("unknown " + std::string(what) + " '" + name_or_path +
                          "'; available: " + (list.empty() ? "(none)" : list) + " (searched " + dirs + ")");
  }
  return hits.front();
}

}  // namespace modelmeter::core
