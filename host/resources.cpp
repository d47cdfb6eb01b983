// Bundled files, the plugin search path, plugin and writer loading, writers run into memory.
#include "resources.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <mutex>
#include <optional>
#include <sstream>
#include <string_view>
#include <tuple>

#include "install_layout.hpp"
#include "log.hpp"

namespace modelmeter::host {

namespace fs = std::filesystem;
using core::InputError;

namespace {

std::optional<fs::path>& prefix_override() {
  static std::optional<fs::path> p;
  return p;
}

// The install prefix (or build tree) this executable belongs to: <prefix>/bin/modelmeter.
fs::path prefix() {
  if (prefix_override()) return *prefix_override();
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw core::Failure(kExitInternal, "cannot locate the modelmeter executable: " + ec.message());
  return exe.parent_path().parent_path();
}

bool looks_like_path(const std::string& s, const char* ext) {
  return s.find('/') != std::string::npos || s.ends_with(ext);
}

}  // namespace

void set_install_prefix(fs::path prefix) {
  prefix_override() = std::move(prefix);
}

fs::path configs_dir() {
  return prefix() / kConfigSubdir;
}

core::SearchPath search_path(const GlobalOptions& g, bool writers) {
  return core::make_search_path(g.plugin_dirs, std::getenv("MODELMETER_PLUGIN_PATH"),
                                prefix() / (writers ? kWriterSubdir : kPluginSubdir));
}

std::vector<std::string> bundled_names(const fs::path& dir, const char* ext) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ext) names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

std::string unknown_config_message(const std::string& name, const char* kind, const char* what, bool path_hint) {
  const auto names = bundled_names(configs_dir() / kind, ".toml");
  return std::string("unknown ") + what + " '" + name + "'; available: " + (names.empty() ? "(none)" : join(names)) +
         (path_hint ? " (or give a path to a .toml file)" : "");
}

fs::path config_file(const std::string& name_or_path, const char* kind, const char* what) {
  if (looks_like_path(name_or_path, ".toml")) return name_or_path;
  const fs::path p = configs_dir() / kind / (name_or_path + ".toml");
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) throw InputError(unknown_config_message(name_or_path, kind, what, true));
  return p;
}

std::shared_ptr<const core::Calibration> resolve_calibration(const core::Hardware& hw, const std::string& option) {
  if (option == "none") return nullptr;
  if (option.empty()) {
    const fs::path bundled = configs_dir() / "calibrations" / (hw.id + ".toml");
    std::error_code ec;
    if (hw.efficiency_set || !fs::is_regular_file(bundled, ec)) return nullptr;
    return std::make_shared<const core::Calibration>(core::load_calibration(bundled));
  }
  return std::make_shared<const core::Calibration>(
      core::load_calibration(config_file(option, "calibrations", "calibration")));
}

bool declares_key(const core::Plugin& plugin, const char* key) {
  const mm_plugin_info& info = plugin.info();
  for (size_t i = 0; i < info.key_count; ++i) {
    if (info.keys[i] != nullptr && info.keys[i]->key != nullptr && std::string_view(info.keys[i]->key) == key) {
      return true;
    }
  }
  return false;
}

void apply_model(core::ResolveInputs& inputs, const core::Plugin& plugin, const std::string& model) {
  inputs.models_dir = configs_dir() / "models";
  if (model.empty()) return;
  if (declares_key(plugin, core::kModelConfigKey)) {
    inputs.model_config = model;
  } else {
    if (model.ends_with(".json")) {
      throw InputError("--model '" + model + "': plugin '" + plugin.name() +
                       "' reads TOML model files (a bundled name or a .toml path), not a config.json");
    }
    inputs.model_file = config_file(model, "models", "model");
  }
}

namespace {
// What keep_loaded() keeps: plugins by file, hardware profiles by file (reread when its size or time changes).
struct LoadedCache {
  std::mutex mutex;
  bool keep = false;
  std::map<fs::path, std::shared_ptr<const core::Plugin>> plugins;
  struct HardwareEntry {
    fs::file_time_type time;
    std::uintmax_t size = 0;
    core::Hardware hardware;
  };
  std::map<fs::path, HardwareEntry> hardware;
};
LoadedCache& loaded_cache() {
  static LoadedCache c;
  return c;
}

core::Hardware load_hardware(const fs::path& file) {
  LoadedCache& cache = loaded_cache();
  {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    if (!cache.keep) return core::load_hardware(file);
  }
  std::error_code ec1, ec2;
  const auto time = fs::last_write_time(file, ec1);
  const auto size = fs::file_size(file, ec2);
  if (ec1 || ec2) return core::load_hardware(file);  // its own message for a file that cannot be read
  {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    const auto it = cache.hardware.find(file);
    if (it != cache.hardware.end() && it->second.time == time && it->second.size == size) return it->second.hardware;
  }
  core::Hardware hw = core::load_hardware(file);
  const std::lock_guard<std::mutex> lock(cache.mutex);
  cache.hardware[file] = {time, size, hw};
  return hw;
}
}  // namespace

void keep_loaded(bool keep) {
  LoadedCache& cache = loaded_cache();
  const std::lock_guard<std::mutex> lock(cache.mutex);
  cache.keep = keep;
  if (!keep) {
    cache.plugins.clear();
    cache.hardware.clear();
  }
}

std::shared_ptr<const core::Plugin> load_model_plugin(const GlobalOptions& g, const std::string& name) {
  const fs::path file = core::find_plugin(name, search_path(g, false), "plugin");
  LoadedCache& cache = loaded_cache();
  bool keep = false;
  {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    keep = cache.keep;
    if (const auto it = cache.plugins.find(file); keep && it != cache.plugins.end()) return it->second;
  }
  auto p = core::Plugin::load(file);
  if (p->kind() != MM_PLUGIN_MODEL) {
    throw core::PluginLoadError("'" + p->path().string() + "' is a writer plugin, not a model plugin");
  }
  if (keep) {
    const std::lock_guard<std::mutex> lock(cache.mutex);
    cache.plugins.emplace(file, p);
  }
  return p;
}

std::vector<std::string> split_list(const std::string& s, const char* option) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) throw InputError(std::string(option) + " '" + s + "': an empty item");
    if (std::find(out.begin(), out.end(), item) != out.end()) {
      throw InputError(std::string(option) + " lists '" + item + "' twice");
    }
    out.push_back(item);
  }
  if (out.empty()) throw InputError(std::string(option) + " is empty");
  return out;
}

std::vector<std::shared_ptr<const core::Plugin>> available_writers(const GlobalOptions& g) {
  std::vector<std::shared_ptr<const core::Plugin>> available;
  for (const auto& file : core::plugin_files(search_path(g, true))) {
    std::shared_ptr<const core::Plugin> p;
    try {
      p = core::Plugin::load(file);
    } catch (const core::PluginLoadError& e) {
      log_warning(e.what());  // a broken file on the path does not stop the formats that exist
      continue;
    }
    if (p->kind() != MM_PLUGIN_WRITER) continue;
    for (const auto& other : available) {
      if (std::string_view(other->info().format) == p->info().format) {
        throw core::PluginLoadError("format '" + std::string(p->info().format) + "' is served twice: '" +
                                    other->path().string() + "' and '" + p->path().string() + "'");
      }
    }
    available.push_back(p);
  }
  return available;
}

std::vector<std::shared_ptr<const core::Plugin>> choose_writers(
    const std::vector<std::shared_ptr<const core::Plugin>>& available, const std::vector<std::string>& formats) {
  std::vector<std::shared_ptr<const core::Plugin>> chosen;
  for (const auto& f : formats) {
    const auto it =
        std::find_if(available.begin(), available.end(), [&](const auto& p) { return f == p->info().format; });
    if (it == available.end()) {
      std::vector<std::string> names;
      for (const auto& p : available) names.emplace_back(p->info().format);
      std::sort(names.begin(), names.end());
      throw core::PluginLoadError("unknown format '" + f + "'; available: " + (names.empty() ? "(none)" : join(names)));
    }
    chosen.push_back(*it);
  }
  return chosen;
}

std::vector<std::shared_ptr<const core::Plugin>> load_writers(const GlobalOptions& g,
                                                              const std::vector<std::string>& formats) {
  // The quick way: a writer file named after its format (md.so serves md), found like a model plugin by name
  // (the first in search order; the same name twice is an error) and checked to declare that format. Only
  // when a format has no such file are all writers loaded and asked (plugin scanning costs ~1 ms a file).
  {
    const core::SearchPath search = search_path(g, true);
    const auto files = core::plugin_files(search);
    std::vector<std::shared_ptr<const core::Plugin>> chosen;
    for (const auto& f : formats) {
      const bool plain = !f.empty() && std::all_of(f.begin(), f.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
      });
      const auto named = std::find_if(files.begin(), files.end(), [&](const auto& p) { return p.stem() == f; });
      if (!plain || named == files.end()) break;
      std::shared_ptr<const core::Plugin> p;
      try {
        p = core::Plugin::load(core::find_plugin(f, search, "writer"));
      } catch (const core::PluginLoadError&) {
        break;  // the full scan below says what is wrong, with every writer's format
      }
      if (p->kind() != MM_PLUGIN_WRITER || f != p->info().format) break;
      chosen.push_back(std::move(p));
    }
    if (chosen.size() == formats.size()) return chosen;
  }
  return choose_writers(available_writers(g), formats);
}

std::vector<mm_output> render(const std::vector<std::shared_ptr<const core::Plugin>>& writers, const mm_doc* doc) {
  std::vector<mm_output> outputs(writers.size());
  for (std::size_t i = 0; i < writers.size(); ++i) {
    outputs[i].writer = writers[i]->name();
    mm_error err{};
    if (writers[i]->info().write(doc, &outputs[i], &err) != MM_OK) {
      err.message[MM_ERROR_MESSAGE_CAPACITY - 1] = '\0';
      throw core::PluginFailure("writer '" + writers[i]->name() + "' (" + writers[i]->path().string() +
                                ") failed: " + err.message);
    }
  }
  return outputs;
}

std::vector<std::string> write_outputs(const std::vector<std::shared_ptr<const core::Plugin>>& writers,
                                       const mm_doc* doc, const std::string& out) {
  const std::vector<mm_output> outputs = render(writers, doc);
  std::vector<const mm_output*> views;
  for (const auto& o : outputs) views.push_back(&o);
  core::commit_outputs(out, views);
  std::vector<std::string> written;
  for (const auto& o : outputs)
    for (const auto& f : o.files) written.push_back((fs::path(out) / f.first).string());
  return written;
}

core::RunRequest run_request(const GlobalOptions& g, const RunOptions& o) {
  core::RunRequest req;
  req.plugin = load_model_plugin(g, o.plugin);
  req.hardware = load_hardware(config_file(o.hardware, "hardware", "hardware"));
  req.hardware.calibration = resolve_calibration(req.hardware, o.calibration);
  req.inputs.workload_file = config_file(o.workload, "workloads", "workload");
  req.inputs.workload_name = o.workload;
  apply_model(req.inputs, *req.plugin, o.model);
  for (const auto& s : o.sets) req.inputs.overrides.push_back(core::parse_override(s));
  return req;
}

core::RunRequest describe_request(const GlobalOptions& g, const DescribeOptions& o) {
  core::RunRequest req;
  req.plugin = load_model_plugin(g, o.plugin);
  req.hardware = load_hardware(config_file(RunOptions{}.hardware, "hardware", "hardware"));
  if (o.workload.empty()) {
    req.inputs.workload_name = "(defaults)";
    if (core::catalog_for(*req.plugin).find("decode.max_new_tokens") != nullptr) {  // a plugin that generates
      req.inputs.overrides.push_back(core::parse_override("decode.max_new_tokens=1"));
    }
  } else {
    req.inputs.workload_file = config_file(o.workload, "workloads", "workload");
    req.inputs.workload_name = o.workload;
  }
  apply_model(req.inputs, *req.plugin, o.model);
  for (const auto& s : o.sets) req.inputs.overrides.push_back(core::parse_override(s));
  return req;
}

core::SweepRequest sweep_request(const GlobalOptions& g, const SweepOptions& o) {
  core::SweepRequest req;
  req.plugin = load_model_plugin(g, o.plugin);
  for (const auto& h : split_list(o.hardware, "--hardware")) {
    req.hardware.push_back(load_hardware(config_file(h, "hardware", "hardware")));
    req.hardware.back().calibration = resolve_calibration(req.hardware.back(), o.calibration);
  }
  req.inputs.workload_file = config_file(o.workload, "workloads", "workload");
  req.inputs.workload_name = o.workload;
  apply_model(req.inputs, *req.plugin, o.model);
  for (const auto& s : o.sets) req.inputs.overrides.push_back(core::parse_override(s));
  for (const auto& v : o.vary) req.vary.push_back(core::parse_vary(v));
  if (!o.shard.empty()) std::tie(req.shard, req.shards) = core::parse_shard(o.shard);
  return req;
}

}  // namespace modelmeter::host
