// Plugin discovery and loading (Boost.DLL, "now" binding, never unloaded while any object lives).
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <modelmeter/core/export.hpp>
#include <mutex>
#include <string>
#include <vector>

namespace modelmeter::core {

class KeyCatalog;

// The host services table core hands to every plugin (logging goes to the sink set here).
using LogSink = void (*)(mm_log_level level, const char* message);
MM_CORE_API void set_log_sink(LogSink sink) noexcept;
MM_CORE_API const mm_host_api* host_api() noexcept;

// "1.1"
MM_CORE_API std::string abi_version_text(uint32_t v);

// Metric IDs a class table built for ABI `abi_version` knows.
MM_CORE_API uint32_t metric_count_for(uint32_t abi_version) noexcept;

class MM_CORE_API Plugin {
 public:
  // Loads the library, negotiates the ABI and checks the answer. Throws PluginLoadError with one line naming
  // the path (missing file, not a shared library, truncated, no entry symbol, refused version, bad table).
  static std::shared_ptr<const Plugin> load(const std::filesystem::path& path);
  ~Plugin();

  const std::filesystem::path& path() const noexcept { return path_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& version() const noexcept { return version_; }
  const std::string& description() const noexcept { return description_; }
  uint32_t abi_version() const noexcept { return abi_version_; }
  mm_plugin_kind kind() const noexcept { return info_.kind; }
  // The plugin's table, zero-extended to this host's struct (fields it predates read as NULL/0).
  const mm_plugin_info& info() const noexcept { return info_; }
  // The ABI allows one plan/build_stage call at a time per plugin: callers on several threads hold this.
  std::mutex& build_mutex() const noexcept { return build_mutex_; }
  // Core's keys and this plugin's declared keys, built (and the declarations validated) on first use, then
  // shared: every run of the plugin resolves its workload against the same catalogue. Throws PluginLoadError.
  const KeyCatalog& catalog() const;

 private:
  Plugin() = default;
  struct Library;
  std::unique_ptr<Library> library_;
  std::filesystem::path path_;
  std::string name_, version_, description_;
  uint32_t abi_version_ = 0;
  mm_plugin_info info_{};
  mutable std::mutex build_mutex_;
  mutable std::mutex catalog_mutex_;
  mutable std::unique_ptr<const KeyCatalog> catalog_;
};

// Where plugins are looked for: --plugin-dir, then $MODELMETER_PLUGIN_PATH, then the bundled folder.
struct SearchPath {
  std::vector<std::filesystem::path> dirs;  // in order
};
MM_CORE_API SearchPath make_search_path(const std::vector<std::filesystem::path>& plugin_dirs, const char* env_value,
                                        const std::filesystem::path& bundled);

// Every <name>.so under the search path, in order (first occurrence of each name first).
MM_CORE_API std::vector<std::filesystem::path> plugin_files(const SearchPath& search);

// Resolves `--plugin NAME|PATH` (a value containing '/' or ending in ".so" is a path). A name must match
// exactly one file `<name>.so` across the search path (two is an error naming both); an unknown name is an
// error listing the plugins found. `what` is "plugin" or "writer" (for messages).
MM_CORE_API std::filesystem::path find_plugin(const std::string& name_or_path, const SearchPath& search,
                                              const char* what);

}  // namespace modelmeter::core
