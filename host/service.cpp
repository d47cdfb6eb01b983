// The HTTP API of `modelmeter serve` (docs/serve.md, docs/openapi.yaml), without the HTTP library.
#include "service.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <charconv>
#include <deque>
#include <list>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/files.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "assets.hpp"
#include "install_layout.hpp"
#include "log.hpp"
#include "resources.hpp"

namespace modelmeter::host {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// A failure with its HTTP status, error code and (optionally) the request key it is about.
struct RequestError {
  int status;
  std::string code, message, key;
};

[[noreturn]] void bad_request(const std::string& message, const std::string& key = {}) {
  throw RequestError{400, "invalid_request", message, key};
}

std::string to_body(const json::value& v) {
  return json::serialize(v) + "\n";
}

HttpResponse json_response(int status, const json::value& v) {
  HttpResponse r;
  r.status = status;
  r.body = to_body(v);
  return r;
}

// ---- JSON values as TOML literals (for --set values and inline workloads) --------------------------------

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (const char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A word --set would read as a string anyway (vision.mode=base): written bare, so messages read as the CLI's.
bool bare_word(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  if (s == "true" || s == "false" || s == "inf" || s == "nan") return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; });
}

std::string toml_literal(const json::value& v, const std::string& where, bool top = true) {
  switch (v.kind()) {
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      char buf[64];
      const auto r = std::to_chars(buf, buf + sizeof buf, v.get_double());
      std::string s(buf, r.ptr);
      if (s.find_first_of(".eE") == std::string::npos) s += ".0";
      return s;
    }
    case json::kind::string:
      return top && bare_word(v.get_string()) ? std::string(v.get_string()) : toml_string(v.get_string());
    case json::kind::array: {
      std::string s = "[";
      bool first = true;
      for (const auto& e : v.get_array()) {
        s += (first ? "" : ", ") + toml_literal(e, where, false);
        first = false;
      }
      return s + "]";
    }
    case json::kind::object: {
      std::string s = "{";
      bool first = true;
      for (const auto& kv : v.get_object()) {
        s += (first ? " " : ", ") + toml_string(kv.key()) + " = " + toml_literal(kv.value(), where, false);
        first = false;
      }
      return s + (first ? "}" : " }");
    }
    case json::kind::null:
      break;
  }
  bad_request(where + ": null is not a value", where);
}

// An inline workload object as a TOML document: one `"section"."key" = value` line per leaf.
void toml_lines(const json::object& o, const std::string& prefix, std::string& out) {
  for (const auto& kv : o) {
    const std::string key = prefix + toml_string(kv.key());
    if (kv.value().is_object()) {
      toml_lines(kv.value().get_object(), key + ".", out);
    } else {
      out += key + " = " + toml_literal(kv.value(), "workload." + std::string(kv.key()), false) + "\n";
    }
  }
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// application/json or any +json type, parameters (charset) ignored.
bool is_json_type(const std::string& content_type) {
  std::string t = lower(content_type.substr(0, content_type.find(';')));
  t.erase(t.find_last_not_of(" \t") + 1);
  t.erase(0, t.find_first_not_of(" \t"));
  return t == "application/json" || t.ends_with("+json");
}

const char* content_type_of(const std::string& format) {
  if (format == "json") return "application/json";
  if (format == "yaml") return "application/yaml; charset=utf-8";
  if (format == "md") return "text/markdown; charset=utf-8";
  if (format == "csv") return "text/csv; charset=utf-8";
  if (format == "html") return "text/html; charset=utf-8";
  return "text/plain; charset=utf-8";
}

json::value value_json(const core::Value& v) {
  switch (v.type) {
    case MM_VALUE_BOOL:
      return v.boolean;
    case MM_VALUE_INT:
      return v.integer;
    case MM_VALUE_FLOAT:
      return v.number;
    case MM_VALUE_STRING:
      return json::string(v.string);
    case MM_VALUE_INT_ARRAY: {
      json::array a;
      for (const int64_t i : v.ints) a.emplace_back(i);
      return a;
    }
    default:
      return nullptr;
  }
}

const char* type_key(mm_value_type t) {
  switch (t) {
    case MM_VALUE_BOOL:
      return "boolean";
    case MM_VALUE_INT:
      return "integer";
    case MM_VALUE_FLOAT:
      return "number";
    case MM_VALUE_STRING:
      return "string";
    case MM_VALUE_INT_ARRAY:
      return "integer_array";
    default:
      return "none";
  }
}

}  // namespace

HttpResponse error_response(int status, const std::string& code, const std::string& message, const std::string& key) {
  json::object e;
  e["code"] = code;
  e["message"] = message;
  if (!key.empty()) e["key"] = key;
  return json_response(status, json::object{{"error", std::move(e)}});
}

// ------------------------------------------------------------------------------------------------------

struct Service::State {
  GlobalOptions global;
  std::size_t max_runs;

  struct ModelPlugin {
    std::shared_ptr<const core::Plugin> plugin;  // null: `error` says why the name cannot be used
    std::string error;
    const core::KeyCatalog* catalog = nullptr;  // core's, built once per plugin
  };
  std::map<std::string, ModelPlugin, std::less<>> plugins;  // by file stem, as --plugin names them
  std::vector<std::shared_ptr<const core::Plugin>> writers;
  std::shared_ptr<const core::Plugin> json_writer;
  struct Workload {
    fs::path path;
    std::string text;
  };
  std::map<std::string, Workload, std::less<>> workloads;
  std::map<std::string, core::Hardware, std::less<>> hardware;
  std::map<std::string, std::string, std::less<>> hardware_errors;
  std::map<std::string, std::shared_ptr<const core::Calibration>, std::less<>> calibrations, default_calibration;
  std::map<std::string, fs::path, std::less<>> models;

  fs::path models_dir;  // where bundled model names resolve (apply_model's), found once

  struct StoredRun {
    std::shared_ptr<const core::RunRequest> request;  // shared with the result cache's entry
    std::string summary_body;                         // the POST response: {id, summary}
  };
  std::mutex runs_mutex;
  std::unordered_map<std::string, std::shared_ptr<const StoredRun>> runs;
  std::deque<std::string> order;  // oldest first
  std::mt19937_64 rng{std::random_device{}()};

  // The result cache (docs/serve.md, "The result cache"): POST /v1/runs bodies that gave a 201, by their exact
  // bytes, least recently used first out. An entry is the validated request and the response around its id;
  // a hit answers with the same bytes the evaluation would have given, under a new id.
  struct CachedRun {
    std::string body;                                 // the request body: the key
    std::shared_ptr<const core::RunRequest> request;  // what a stored run re-evaluates for its reports
    std::string before_id, after_id;                  // the 201 body is before_id + id + after_id
    std::size_t bytes = 0;                            // what the entry is counted as, against kMaxCacheBytes
  };
  std::size_t cache_entries;
  mutable std::mutex cache_mutex;
  std::list<CachedRun> cache_lru;                                                    // most recently used first
  std::unordered_map<std::string_view, std::list<CachedRun>::iterator> cache_index;  // keys: the entries' bodies
  std::size_t cache_bytes = 0;
  unsigned long long cache_hits = 0, cache_misses = 0;

  State(const GlobalOptions& g, std::size_t max, std::size_t cache) : global(g), max_runs(max), cache_entries(cache) {
    const core::SearchPath sp = search_path(g, false);
    for (const auto& file : core::plugin_files(sp)) {
      const std::string stem = file.stem().string();
      if (plugins.count(stem)) continue;
      ModelPlugin m;
      try {
        const fs::path chosen = core::find_plugin(stem, sp, "plugin");  // two files of one name: an error
        m.plugin = core::Plugin::load(chosen);
        if (m.plugin->kind() != MM_PLUGIN_MODEL) {
          m.error = "'" + m.plugin->path().string() + "' is a writer plugin, not a model plugin";
          m.plugin.reset();
        } else {
          m.catalog = &core::catalog_for(*m.plugin);
        }
      } catch (const core::Failure& e) {
        log_warning(e.what());
        m.plugin.reset();
        m.error = e.what();
      }
      plugins.emplace(stem, std::move(m));
    }
    writers = available_writers(g);
    for (const auto& w : writers)
      if (std::string_view(w->info().format) == "json") json_writer = w;
    if (!json_writer) throw core::PluginLoadError("serve needs the json writer; none found on the writer path");

    const fs::path configs = configs_dir();
    models_dir = configs / "models";
    for (const auto& name : bundled_names(configs / "workloads", ".toml")) {
      const fs::path p = configs / "workloads" / (name + ".toml");
      workloads.emplace(name, Workload{p, core::read_regular_file(p, "workload file")});
    }
    for (const auto& name : bundled_names(configs / "hardware", ".toml")) {
      try {
        hardware.emplace(name, core::load_hardware(configs / "hardware" / (name + ".toml")));
      } catch (const core::Failure& e) {
        log_warning(e.what());
        hardware_errors.emplace(name, e.what());
      }
    }
    for (const auto& name : bundled_names(configs / "models", ".toml")) {
      models.emplace(name, configs / "models" / (name + ".toml"));
    }
    // Calibrations by bundled name, and each hardware's default (its bundled calibration where one exists).
    for (const auto& name : bundled_names(configs / "calibrations", ".toml")) {
      try {
        calibrations.emplace(name, std::make_shared<const core::Calibration>(
                                       core::load_calibration(configs / "calibrations" / (name + ".toml"))));
      } catch (const core::Failure& e) {
        log_warning(e.what());
      }
    }
    for (auto& [name, hw] : hardware) {
      const auto it = calibrations.find(name);
      if (it != calibrations.end() && !hw.efficiency_set) default_calibration.emplace(name, it->second);
    }
  }

  // ---- inputs ----------------------------------------------------------------------------------------

  const ModelPlugin& model_plugin(const std::string& name) {
    if (name.find('/') != std::string::npos || name.ends_with(".so")) {
      throw RequestError{400, "plugin_load",
                         "'" + name + "': the server takes plugin names, not paths (it loads plugins at start; " +
                             "add folders with --plugin-dir)",
                         "plugin"};
    }
    const auto it = plugins.find(name);
    if (it == plugins.end()) {
      try {
        core::find_plugin(name, search_path(global, false), "plugin");  // the CLI's message, listing plugins
      } catch (const core::Failure& e) {
        throw RequestError{400, "plugin_load", e.what(), "plugin"};
      }
      throw RequestError{400, "plugin_load",
                         "plugin '" + name + "' appeared after the server started; restart it to load the plugin",
                         "plugin"};
    }
    if (!it->second.plugin) throw RequestError{400, "plugin_load", it->second.error, "plugin"};
    return it->second;
  }

  static std::string string_field(const json::object& body, const char* key) {
    const json::value& v = body.at(key);
    if (!v.is_string()) bad_request(std::string("'") + key + "' must be a string", key);
    return std::string(v.get_string());
  }

  // POST /v1/runs body → the same RunRequest `modelmeter run` builds from its options.
  core::RunRequest parse_run_request(const std::string& body_text) {
    if (body_text.empty()) {
      throw RequestError{400, "invalid_json", "the request body is empty; send a JSON object {plugin, workload, …}",
                         ""};
    }
    boost::system::error_code ec;
    json::value body_value = json::parse(body_text, ec);
    if (ec) throw RequestError{400, "invalid_json", "the request body is not JSON: " + ec.message(), ""};
    if (!body_value.is_object()) {
      bad_request("the request body must be a JSON object {plugin, workload, model?, hardware?, set?}");
    }
    const json::object& body = body_value.get_object();
    for (const auto& kv : body) {
      const std::string_view k = kv.key();
      if (k != "plugin" && k != "model" && k != "workload" && k != "hardware" && k != "set" && k != "calibration") {
        bad_request("unknown field '" + std::string(k) +
                        "'; the fields are plugin, workload, model, hardware, calibration, set",
                    std::string(k));
      }
    }
    if (!body.contains("plugin")) bad_request("'plugin' is required (GET /v1/plugins lists them)", "plugin");
    if (!body.contains("workload")) {
      bad_request("'workload' is required: a bundled name (GET /v1/workloads) or an object with the TOML's fields",
                  "workload");
    }
    core::RunRequest req;
    req.plugin = model_plugin(string_field(body, "plugin")).plugin;

    const std::string hw = body.contains("hardware") ? string_field(body, "hardware") : std::string("h100-sxm");
    if (const auto it = hardware.find(hw); it != hardware.end()) {
      req.hardware = it->second;
    } else if (const auto bad = hardware_errors.find(hw); bad != hardware_errors.end()) {
      throw RequestError{400, "invalid_input", bad->second, "hardware"};
    } else {
      throw RequestError{400, "invalid_input", unknown_config_message(hw, "hardware", "hardware", false), "hardware"};
    }
    // calibration: absent = the hardware's bundled one; "none" = the roofline; else a bundled name (never a path).
    if (body.contains("calibration")) {
      const std::string cal = string_field(body, "calibration");
      if (cal != "none") {
        const auto it = calibrations.find(cal);
        if (it == calibrations.end()) {
          throw RequestError{400, "invalid_input",
                             unknown_config_message(cal, "calibrations", "calibration", false) + " or none",
                             "calibration"};
        }
        req.hardware.calibration = it->second;
      }
    } else if (const auto it = default_calibration.find(hw); it != default_calibration.end()) {
      req.hardware.calibration = it->second;
    }

    const json::value& w = body.at("workload");
    if (w.is_string()) {
      const std::string name(w.get_string());
      const auto it = workloads.find(name);
      if (it == workloads.end()) {
        throw RequestError{400, "invalid_input", unknown_config_message(name, "workloads", "workload", false),
                           "workload"};
      }
      req.inputs.workload_file = it->second.path;
      req.inputs.workload_text = it->second.text;
      req.inputs.workload_name = name;
    } else if (w.is_object()) {
      std::string text;
      toml_lines(w.get_object(), "", text);
      req.inputs.workload_file = "inline workload";
      req.inputs.workload_text = std::move(text);
      const json::value* name = w.get_object().if_contains("name");
      req.inputs.workload_name = name != nullptr && name->is_string() ? std::string(name->get_string()) : "inline";
    } else {
      bad_request("'workload' must be a bundled workload name or an object with the TOML's fields", "workload");
    }

    req.inputs.models_dir = models_dir;  // where bundled model names resolve (as apply_model sets it)
    req.inputs.names_only = true;        // a request never names a file (docs/serve.md, threat model)
    if (body.contains("model")) {
      const std::string name = string_field(body, "model");
      if (name.find('/') != std::string::npos || name.ends_with(".toml") || name.ends_with(".json")) {
        throw RequestError{400, "invalid_input",
                           "model '" + name + "': the server takes bundled model names, not paths", "model"};
      }
      if (declares_key(*req.plugin, core::kModelConfigKey)) {
        req.inputs.model_config = name;  // the plugin's own model file (hf_decoder: config.json), as --model does
      } else {
        const auto it = models.find(name);
        if (it == models.end()) {
          throw RequestError{400, "invalid_input", unknown_config_message(name, "models", "model", false), "model"};
        }
        req.inputs.model_file = it->second;
      }
    }

    if (const json::value* set = body.if_contains("set")) {
      if (!set->is_object()) bad_request("'set' must be an object {\"section.key\": value, …}", "set");
      for (const auto& kv : set->get_object()) {
        const std::string key(kv.key());
        // The same parsing and messages as --set section.key=value.
        req.inputs.overrides.push_back(core::parse_override(key + "=" + toml_literal(kv.value(), key)));
      }
    }
    return req;
  }

  // run_model is safe from several threads: it holds the plugin's build_mutex around plan and build_stage
  // (the ABI allows one such call at a time per plugin); layers' metric calls are reentrant.
  core::RunResult evaluate(const core::RunRequest& req) {
    core::RunResult r = core::run_model(req);
    for (const auto& w : r.warnings) log_debug("run: " + w);
    return r;
  }

  std::string render_file(const std::shared_ptr<const core::Plugin>& writer, const mm_doc* doc,
                          const std::string& file) {
    const std::vector<mm_output> out = render({writer}, doc);
    for (const auto& [path, content] : out[0].files)
      if (path == file) return content;
    throw core::PluginFailure("writer '" + writer->name() + "' (" + writer->path().string() + ") wrote no " + file);
  }

  // ---- runs --------------------------------------------------------------------------------------------

  // A fresh random id, not in use.
  std::string new_id() {
    std::lock_guard<std::mutex> lock(runs_mutex);
    std::string id;
    do {
      char buf[17];
      std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
      id = buf;
    } while (runs.count(id));
    return id;
  }

  // {id, summary} as the json writer prints it: the POST response and GET …/summary.
  std::string summary_body(const std::string& id, const core::RunResult& result) {
    core::DocTree doc;
    doc.set(doc.root(), "id", id);
    core::add_summary(doc, doc.root(), result);
    return render_file(json_writer, doc.freeze(), "report.json");
  }

  void store(const std::string& id, std::shared_ptr<const StoredRun> run) {
    std::lock_guard<std::mutex> lock(runs_mutex);
    runs.emplace(id, std::move(run));
    order.push_back(id);
    while (order.size() > max_runs) {
      runs.erase(order.front());
      order.pop_front();
    }
  }

  // ---- the result cache ------------------------------------------------------------------------------------

  std::optional<CachedRun> cache_find(const std::string& body) {
    std::lock_guard<std::mutex> lock(cache_mutex);
    const auto it = cache_index.find(body);
    if (it == cache_index.end()) {
      ++cache_misses;
      return std::nullopt;
    }
    ++cache_hits;
    cache_lru.splice(cache_lru.begin(), cache_lru, it->second);  // now the most recently used
    const CachedRun& e = *it->second;
    return CachedRun{{}, e.request, e.before_id, e.after_id, 0};
  }

  void cache_insert(CachedRun entry) {
    const core::ResolveInputs& in = entry.request->inputs;
    std::size_t bytes = sizeof(CachedRun) + sizeof(core::RunRequest) + 256 + 2 * entry.body.size() +
                        entry.before_id.size() + entry.after_id.size() + in.workload_name.size() +
                        in.workload_file.native().size() + in.models_dir.native().size() +
                        entry.request->hardware.id.size() + entry.request->hardware.name.size() +
                        entry.request->hardware.vendor.size() + entry.request->hardware.path.native().size();
    if (in.workload_text) bytes += in.workload_text->size();
    if (in.model_text) bytes += in.model_text->size();
    if (in.model_config) bytes += in.model_config->size();
    if (in.model_file) bytes += in.model_file->native().size();
    for (const auto& o : in.overrides) bytes += sizeof o + o.key.size() + o.text.size();
    entry.bytes = bytes;
    if (bytes > kMaxCacheBytes / 4) return;  // never one entry that would crowd out the rest
    std::lock_guard<std::mutex> lock(cache_mutex);
    if (cache_index.count(entry.body)) return;  // another thread evaluated the same body meanwhile
    while (!cache_lru.empty() && (cache_lru.size() >= cache_entries || cache_bytes + bytes > kMaxCacheBytes)) {
      cache_bytes -= cache_lru.back().bytes;
      cache_index.erase(cache_lru.back().body);
      cache_lru.pop_back();
    }
    cache_lru.push_front(std::move(entry));
    cache_index.emplace(cache_lru.front().body, cache_lru.begin());
    cache_bytes += bytes;
  }

  std::shared_ptr<const StoredRun> find_run(const std::string& id) {
    std::lock_guard<std::mutex> lock(runs_mutex);
    const auto it = runs.find(id);
    if (it == runs.end()) {
      throw RequestError{404, "not_found",
                         "no run '" + id + "' (never created, or evicted: the server keeps the last " +
                             std::to_string(max_runs) + " runs)",
                         ""};
    }
    return it->second;
  }

  HttpResponse post_run(const std::string& content_type, const std::string& body) {
    // A JSON Content-Type is required: a browser sends one cross-site only after a CORS preflight, which this
    // server never grants, so a link or a form on another site cannot start a run.
    if (content_type.empty()) {
      throw RequestError{415, "unsupported_media_type",
                         "the request has no Content-Type; send Content-Type: application/json", ""};
    }
    if (!is_json_type(content_type)) {
      throw RequestError{415, "unsupported_media_type",
                         "Content-Type '" + content_type + "' is not JSON; send Content-Type: application/json", ""};
    }
    const bool cacheable = cache_entries > 0 && body.size() <= kMaxCachedBodyBytes;
    auto run = std::make_shared<StoredRun>();
    const std::string id = new_id();
    if (std::optional<CachedRun> hit = cacheable ? cache_find(body) : std::nullopt) {
      run->request = std::move(hit->request);
      run->summary_body = hit->before_id + id + hit->after_id;
    } else {
      auto request = std::make_shared<const core::RunRequest>(parse_run_request(body));
      const core::RunResult result = evaluate(*request);
      run->request = request;
      if (cacheable) {
        // Rendered once around a placeholder id, which the json writer prints first (the summary follows it),
        // so that a hit only puts its own id in between.
        static const std::string placeholder = "0000000000000000";
        const std::string text = summary_body(placeholder, result);
        const std::size_t at = text.find('"' + placeholder + '"');
        if (at != std::string::npos && at < text.find("\"summary\"")) {
          CachedRun entry{body, request, text.substr(0, at + 1), text.substr(at + 1 + placeholder.size()), 0};
          run->summary_body = entry.before_id + id + entry.after_id;
          cache_insert(std::move(entry));
        } else {
          run->summary_body = summary_body(id, result);
        }
      } else {
        run->summary_body = summary_body(id, result);
      }
    }
    HttpResponse r;
    r.status = 201;
    r.body = run->summary_body;
    r.headers.emplace_back("Location", "/v1/runs/" + id);
    store(id, std::move(run));  // evicted at once when --max-runs is 1 and another POST comes: r is a copy
    return r;
  }

  HttpResponse get_report(const std::string& id, const std::string& format) {
    const auto run = find_run(id);
    std::shared_ptr<const core::Plugin> writer;
    for (const auto& w : writers)
      if (format == w->info().format) writer = w;
    if (!writer) {
      std::vector<std::string> names;
      for (const auto& w : writers) names.emplace_back(w->info().format);
      std::sort(names.begin(), names.end());
      throw RequestError{404, "not_found",
                         "no report format '" + format + "'; available: " + (names.empty() ? "(none)" : join(names)),
                         ""};
    }
    const core::RunResult result = evaluate(*run->request);
    const auto doc = core::build_report(result, kToolVersion);
    HttpResponse r;
    r.content_type = content_type_of(format);
    r.body = render_file(writer, doc->freeze(), "report." + format);
    return r;
  }

  // ---- catalogues ----------------------------------------------------------------------------------------

  json::value list_plugins() const {
    json::array a;
    for (const auto& [name, m] : plugins) {
      if (!m.plugin) continue;
      const core::Plugin& p = *m.plugin;
      json::array keys;
      for (const core::KeyDecl& k : m.catalog->keys()) {
        json::object o;
        o["key"] = k.key;
        o["type"] = type_key(k.type);
        o["allowed"] = k.allowed_text();
        o["default"] = k.default_value ? value_json(*k.default_value) : json::value(nullptr);
        o["required"] = k.required;
        o["owner"] = k.owner;
        o["help"] = k.help;
        keys.push_back(std::move(o));
      }
      a.push_back(json::object{{"name", name},
                               {"version", p.version()},
                               {"abi_version", p.abi_version()},
                               {"abi_version_text", core::abi_version_text(p.abi_version())},
                               {"description", p.description()},
                               {"path", p.path().string()},
                               {"keys", std::move(keys)}});
    }
    return json::object{{"plugins", std::move(a)}};
  }

  json::value list_writers() const {
    json::array a;
    for (const auto& w : writers) {
      a.push_back(json::object{{"name", w->name()},
                               {"version", w->version()},
                               {"format", w->info().format},
                               {"description", w->description()},
                               {"path", w->path().string()}});
    }
    return json::object{{"writers", std::move(a)}};
  }

  json::value list_workloads() const {
    json::array a;
    for (const auto& [name, w] : workloads) a.push_back(json::object{{"name", name}});
    return json::object{{"workloads", std::move(a)}};
  }

  json::value list_hardware() const {
    json::array a;
    for (const auto& [id, h] : hardware) {
      a.push_back(json::object{{"id", id},
                               {"name", h.name},
                               {"vendor", h.vendor},
                               {"capacity_bytes", h.capacity},
                               {"bandwidth_bytes_per_s", h.bandwidth}});
    }
    return json::object{{"hardware", std::move(a)}, {"default", "h100-sxm"}};
  }

  // ---- routing -------------------------------------------------------------------------------------------

  HttpResponse route(const std::string& method, const std::string& path, const std::string& content_type,
                     const std::string& body) {
    const bool get = method == "GET" || method == "HEAD";
    auto only = [&](const char* allowed) {
      HttpResponse r = error_response(405, "method_not_allowed",
                                      "method " + method + " is not allowed on " + path + "; allowed: " + allowed);
      r.headers.emplace_back("Allow", allowed);
      return r;
    };
    if (path == "/v1/runs") {
      if (method != "POST") return only("POST");
      return post_run(content_type, body);
    }
    static const std::vector<std::string> fixed = {"/",           "/openapi.yaml", "/healthz",    "/v1/plugins",
                                                   "/v1/writers", "/v1/workloads", "/v1/hardware"};
    if (std::find(fixed.begin(), fixed.end(), path) != fixed.end()) {
      if (!get) return only("GET, HEAD");
      HttpResponse r;
      if (path == "/") {
        r.content_type = "text/html; charset=utf-8";
        r.body = std::string(kPageHtml);
      } else if (path == "/openapi.yaml") {
        r.content_type = "application/yaml; charset=utf-8";
        r.body = std::string(kOpenApiYaml);
      } else if (path == "/healthz") {
        std::size_t n;
        {
          std::lock_guard<std::mutex> lock(runs_mutex);
          n = runs.size();
        }
        r.body = to_body(json::object{{"status", "ok"}, {"runs", n}, {"max_runs", max_runs}});
      } else if (path == "/v1/plugins") {
        r.body = to_body(list_plugins());
      } else if (path == "/v1/writers") {
        r.body = to_body(list_writers());
      } else if (path == "/v1/workloads") {
        r.body = to_body(list_workloads());
      } else {
        r.body = to_body(list_hardware());
      }
      return r;
    }
    // /v1/runs/<16 hex digits>[/summary | /report.<format>]
    if (path.starts_with("/v1/runs/") && path.size() >= 9 + 16 &&
        std::all_of(path.begin() + 9, path.begin() + 25, [](char c) {
          const auto u = static_cast<unsigned char>(c);
          return std::isxdigit(u) != 0 && std::isupper(u) == 0;
        })) {
      const std::string id = path.substr(9, 16);
      const std::string_view rest = std::string_view(path).substr(25);
      const std::string_view format = rest.starts_with("/report.") ? rest.substr(8) : std::string_view();
      const bool format_ok = !format.empty() && std::all_of(format.begin(), format.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-';
      });
      if (rest.empty() || rest == "/summary" || format_ok) {
        if (!get) return only("GET, HEAD");
        if (rest.empty()) return get_report(id, "json");
        if (rest == "/summary") {
          HttpResponse r;
          r.body = find_run(id)->summary_body;
          return r;
        }
        return get_report(id, std::string(format));
      }
    }
    if (path.starts_with("/v1/runs/")) {
      throw RequestError{404, "not_found", "no run '" + path.substr(9) + "' (run ids are 16 hex digits)", ""};
    }
    throw RequestError{404, "not_found", "no such path '" + path + "'; see GET /openapi.yaml", ""};
  }
};

namespace {

// The key an input error is about ("key 'decode.max_new_tokens' …"), or empty.
std::string key_of(const std::string& message) {
  const std::size_t start = message.find("key '");
  if (start == std::string::npos) return {};
  const std::size_t end = message.find('\'', start + 5);
  return end == std::string::npos || end == start + 5 ? std::string() : message.substr(start + 5, end - start - 5);
}

}  // namespace

Service::Service(const GlobalOptions& g, std::size_t max_runs, std::size_t cache_entries)
    : s_(std::make_unique<State>(g, max_runs, cache_entries)) {}
Service::~Service() = default;

std::size_t Service::model_plugin_count() const {
  return static_cast<std::size_t>(std::count_if(s_->plugins.begin(), s_->plugins.end(),
                                                [](const auto& kv) { return kv.second.plugin != nullptr; }));
}
std::size_t Service::writer_count() const {
  return s_->writers.size();
}
Service::CacheStats Service::cache_stats() const {
  std::lock_guard<std::mutex> lock(s_->cache_mutex);
  return {s_->cache_lru.size(), s_->cache_bytes, s_->cache_hits, s_->cache_misses};
}

HttpResponse Service::handle(const std::string& method, const std::string& path, const std::string& content_type,
                             const std::string& body) {
  try {
    return s_->route(method, path, content_type, body);
  } catch (const RequestError& e) {
    return error_response(e.status, e.code, e.message, e.key);
  } catch (const core::InputError& e) {
    return error_response(400, "invalid_input", e.what(), key_of(e.what()));
  } catch (const core::PluginLoadError& e) {
    return error_response(400, "plugin_load", e.what());
  } catch (const core::PluginFailure& e) {
    log_error(e.what());
    return error_response(500, "plugin_failure", e.what());
  } catch (const std::exception& e) {
    log_error(std::string("internal error: ") + e.what());
    return error_response(500, "internal", std::string("internal error: ") + e.what());
  }
}

}  // namespace modelmeter::host
