// Workload keys, their declarations, and the resolved configuration handed to plugins (mm_config).
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <modelmeter/core/export.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modelmeter::core {

struct Value {
  mm_value_type type = MM_VALUE_NONE;
  bool boolean = false;
  int64_t integer = 0;
  double number = 0;
  std::string string;
  std::vector<int64_t> ints;

  // The value as a TOML literal (for messages and reports).
  MM_CORE_API std::string to_toml() const;
  bool operator==(const Value&) const = default;
};

MM_CORE_API const char* type_name(mm_value_type type);

// One declared key (core's or a plugin's), with its default already parsed.
struct KeyDecl {
  std::string key;
  mm_value_type type = MM_VALUE_NONE;
  std::optional<Value> default_value;
  double min = 1, max = 0;  // min > max: unbounded
  std::vector<std::string> allowed;
  uint32_t min_count = 0, max_count = 0;
  std::string help;
  std::string owner;  // "core" or the plugin's name
  bool required = false;
  // The value names a file the plugin reads (see is_path_key): `model.config`, or a string key the plugin
  // named `*.config`, `*.file`, `*_file`, `*.path`, `*_path`, `*.dir` or `*_dir`.
  bool path = false;

  // "an integer from 1 to 4096", "one of eager, flash", … (for messages)
  MM_CORE_API std::string allowed_text() const;
};

// Every key a run accepts: core's, then the plugin's (a plugin may re-declare a core key only to change its
// default, with the same type).
class MM_CORE_API KeyCatalog {
 public:
  static KeyCatalog core_keys();
  // Adds a plugin's declarations; throws PluginLoadError naming plugin and key for a malformed declaration.
  void add_plugin_keys(const std::string& plugin, const mm_key_decl* const* keys, size_t count);

  const KeyDecl* find(std::string_view key) const;
  // The declared key closest to `key` (edit distance), or empty.
  std::string closest(std::string_view key) const;
  const std::vector<KeyDecl>& keys() const noexcept { return keys_; }

  // The tasks a plugin supports (mm_plugin_info.tasks, ABI 1.3; 0 = generation only). A plugin with any task
  // beyond generation gets `task.kind` (default: its first task) and, with training, the `train.*` keys;
  // `decode.max_new_tokens` is then required only when the task is generate (checked when the run is prepared).
  // A generation-only plugin's catalog is unchanged.
  void add_task_keys(const std::string& plugin, uint32_t tasks);
  uint32_t tasks() const noexcept { return tasks_; }  // MM_TASK_BIT set, never 0
  const std::string& plugin() const noexcept { return plugin_; }

 private:
  std::vector<KeyDecl> keys_;
  std::string plugin_;
  uint32_t tasks_ = 1;  // MM_TASK_BIT(MM_TASK_GENERATE)
};

// Tasks (docs/workloads.md): what `task.kind` names.
inline constexpr const char* kTaskKey = "task.kind";
MM_CORE_API const char* task_name(mm_task task) noexcept;  // "generate", "forward", "train"
MM_CORE_API std::optional<mm_task> parse_task(std::string_view name) noexcept;
MM_CORE_API std::string task_list(uint32_t tasks);  // "forward, train" (0 reads as generate)
// The one-line refusal of a task the plugin lacks: "plugin 'vit' does not support task 'generate' (task.kind);
// it supports: forward, train".
MM_CORE_API std::string task_refusal(const std::string& plugin, std::string_view task, uint32_t tasks);

// A `--set section.key=value` override, parsed.
struct Override {
  std::string key;
  std::string text;  // the value text as given
};
// Throws InputError for anything but "section.key=value".
MM_CORE_API Override parse_override(std::string_view arg);

struct Setting {
  Value value;
  std::string source;  // "default", "model <path>", "workload <path>", "--set", "plugin default"
};

}  // namespace modelmeter::core

// The opaque config handle of the ABI: a resolved, validated set of keys.
struct mm_config {
  std::map<std::string, modelmeter::core::Setting, std::less<>> settings;  // every declared key with a value
  std::vector<std::string> order;                                          // declaration order, for reports
  std::string workload_name;                                               // what --workload named
  std::string workload_description;
};

namespace modelmeter::core {

using ResolvedConfig = mm_config;

struct ResolveInputs {
  std::filesystem::path workload_file;  // empty: no workload file (declared defaults and overrides only)
  std::string workload_name;
  std::optional<std::filesystem::path> model_file;  // TOML of model.* keys (flat)
  // --model for a plugin that declares the string key `model.config` (it reads its own model file, e.g. a
  // Hugging Face config.json): the name or path given, set as that key's value (source "--model").
  std::optional<std::string> model_config;
  // Where bundled model configs live: a `model.config` value that is a bare name (no '/', no ".json")
  // resolves to <models_dir>/<name>.json, whichever of default, workload, --model or --set gave it.
  std::filesystem::path models_dir;
  std::vector<Override> overrides;
  // Requests from others (`modelmeter serve`): a path-valued key (KeyDecl::path) may only keep its default or,
  // for `model.config`, name a bundled model (a bare name resolved under models_dir). A value that looks like a
  // path is refused by its spelling alone, before any file is touched, so the answer is the same whether or
  // not the path exists.
  bool names_only = false;
  // The files' content when it is already in memory (the fuzzers): the file is then not read, and its
  // path only names it in messages.
  std::optional<std::string> workload_text;
  std::optional<std::string> model_text;
};

// The key through which a plugin reads its own model file (see ResolveInputs::model_config).
inline constexpr const char* kModelConfigKey = "model.config";

// Whether a plugin's string key names a file, by the declared name: `model.config`, or a name ending in
// `.config`, `.file`, `_file`, `.path`, `_path`, `.dir` or `_dir` (docs/plugin-guide.md).
MM_CORE_API bool is_path_key(std::string_view key);

// Layers defaults < model file < workload file < --model (model.config) < --set, validating each key (unknown key with
// the closest suggestion, type, range, allowed values, array length) before anything else happens. Throws InputError
// with a one-line message naming the file (with line:column for TOML syntax errors), key and what is allowed.
MM_CORE_API ResolvedConfig resolve_config(const KeyCatalog& catalog, const ResolveInputs& inputs);

// Parses a TOML value literal the way --set reads it (bare words are strings). Throws InputError.
MM_CORE_API Value parse_value_text(const KeyDecl& decl, std::string_view text, const std::string& where);

// Looks a key up for the ABI (mm_host_api::config_get).
MM_CORE_API mm_status config_get(const mm_config* config, const char* key, mm_value* out, mm_error* err) noexcept;

}  // namespace modelmeter::core
