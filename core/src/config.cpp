// Workload keys: declarations, TOML loading, --set overrides and strict validation.
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/files.hpp>
#include <modelmeter/sdk.hpp>
#include <sstream>

namespace modelmeter::core {

namespace {

std::string format_number(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.17g", v);
  }
  return buf;
}

// A TOML basic string: quotes, backslashes and control characters escaped, so that it reads back as `s`.
std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find(sep, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// What follows "unknown key 'x'": the closest declared key, or where serving keys are read, or describe.
std::string unknown_hint(std::string_view key, const std::string& near) {
  if (!near.empty()) return "; did you mean '" + near + "'?";
  if (key.starts_with("serving.")) {
    return "; [serving] keys are read by 'modelmeter simulate' and 'modelmeter plan' (docs/serving.md)";
  }
  return "; run 'modelmeter describe' to see the accepted keys";
}

bool bounded(const KeyDecl& d) {
  return d.min <= d.max;
}

// Checks a value of the right type against the declaration's range / allowed set. Throws InputError.
void check_value(const KeyDecl& d, const Value& v, const std::string& where) {
  auto out_of_range = [&](const std::string& shown) {
    throw InputError(where + ": key '" + d.key + "' = " + shown + " is not allowed: expected " + d.allowed_text());
  };
  switch (d.type) {
    case MM_VALUE_INT:
    case MM_VALUE_FLOAT:
      if (!std::isfinite(v.number) || (bounded(d) && (v.number < d.min || v.number > d.max))) {
        out_of_range(v.to_toml());
      }
      break;
    case MM_VALUE_STRING:
      if (!d.allowed.empty() && std::find(d.allowed.begin(), d.allowed.end(), v.string) == d.allowed.end()) {
        out_of_range(v.to_toml());
      }
      break;
    case MM_VALUE_INT_ARRAY:
      if (v.ints.size() < d.min_count || (d.max_count > 0 && v.ints.size() > d.max_count)) out_of_range(v.to_toml());
      for (int64_t x : v.ints) {
        if (bounded(d) && (static_cast<double>(x) < d.min || static_cast<double>(x) > d.max)) out_of_range(v.to_toml());
      }
      break;
    default:
      break;
  }
}

// Converts a TOML node to the declared type. Integers are accepted where floats are declared.
Value from_node(const KeyDecl& d, const toml::node& node, const std::string& where) {
  Value v;
  v.type = d.type;
  auto wrong = [&](const char* got) {
    throw InputError(where + ": key '" + d.key + "' must be " + type_name(d.type) + ", got " + got);
  };
  auto got_name = [&]() -> const char* {
    switch (node.type()) {
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a float";
      case toml::node_type::boolean:
        return "a boolean";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::table:
        return "a table";
      default:
        return "a date/time";
    }
  };
  switch (d.type) {
    case MM_VALUE_BOOL:
      if (!node.is_boolean()) wrong(got_name());
      v.boolean = *node.value<bool>();
      break;
    case MM_VALUE_INT:
      if (!node.is_integer()) wrong(got_name());
      v.integer = *node.value<int64_t>();
      v.number = static_cast<double>(v.integer);
      break;
    case MM_VALUE_FLOAT:
      if (node.is_integer()) {
        v.number = static_cast<double>(*node.value<int64_t>());
      } else if (node.is_floating_point()) {
        v.number = *node.value<double>();
      } else {
        wrong(got_name());
      }
      break;
    case MM_VALUE_STRING:
      if (!node.is_string()) wrong(got_name());
      v.string = *node.value<std::string>();
      break;
    case MM_VALUE_INT_ARRAY: {
      const toml::array* arr = node.as_array();
      if (arr == nullptr) wrong(got_name());
      for (const toml::node& e : *arr) {
        if (!e.is_integer()) {
          throw InputError(where + ": key '" + d.key + "' must be " + type_name(d.type) +
                           ", got an element that is not an integer");
        }
        v.ints.push_back(*e.value<int64_t>());
      }
      break;
    }
    default:
      throw InputError(where + ": key '" + d.key + "' has no usable type");
  }
  check_value(d, v, where);
  return v;
}

std::string location(const std::string& file, const toml::source_region& src) {
  return file + ":" + std::to_string(src.begin.line) + ":" + std::to_string(src.begin.column);
}

// Parses `path` (or, when `text` is given, that content, with `path` naming it in messages).
toml::table parse_toml_file(const std::filesystem::path& path, const std::optional<std::string>& text,
                            const std::string& what) {
  const std::string content = text ? std::string() : read_regular_file(path, what);
  try {
    return toml::parse(text ? *text : content, path.string());
  } catch (const toml::parse_error& e) {
    throw InputError(what + " " + location(path.string(), e.source()) +
                     ": malformed TOML: " + std::string(e.description()));
  }
}

KeyDecl make_decl(std::string key, mm_value_type type, std::optional<Value> def, double min, double max,
                  std::vector<std::string> allowed, std::string help, bool required = false) {
  KeyDecl d;
  d.key = std::move(key);
  d.type = type;
  d.default_value = std::move(def);
  d.min = min;
  d.max = max;
  d.allowed = std::move(allowed);
  d.help = std::move(help);
  d.owner = "core";
  d.required = required;
  return d;
}

Value int_value(int64_t i) {
  Value v;
  v.type = MM_VALUE_INT;
  v.integer = i;
  v.number = static_cast<double>(i);
  return v;
}

Value string_value(std::string s) {
  Value v;
  v.type = MM_VALUE_STRING;
  v.string = std::move(s);
  return v;
}

const std::vector<std::string> kDtypes = {"fp32", "bf16", "fp16", "fp8", "int8", "int4"};

// Applies every key of a TOML table (sections of key = value) to `settings`.
void apply_table(const KeyCatalog& catalog, const toml::table& root, const std::string& file, const std::string& prefix,
                 const std::string& source, ResolvedConfig& cfg, bool allow_meta) {
  for (auto&& [k, node] : root) {
    const std::string key = prefix + std::string(k.str());
    if (allow_meta && prefix.empty() && (key == "name" || key == "description")) {
      if (!node.is_string()) throw InputError(location(file, node.source()) + ": key '" + key + "' must be a string");
      if (key == "description") cfg.workload_description = *node.value<std::string>();
      continue;
    }
    if (node.is_table() && catalog.find(key) == nullptr) {
      apply_table(catalog, *node.as_table(), file, key + ".", source, cfg, false);
      continue;
    }
    const KeyDecl* d = catalog.find(key);
    const std::string where = location(file, node.source());
    if (d == nullptr) {
      if (key == kTaskKey) {  // a generation-only plugin asked for a task
        throw InputError(
            location(file, k.source()) + ": " +
            task_refusal(catalog.plugin(), node.is_string() ? *node.value<std::string>() : "?", catalog.tasks()));
      }
      const std::string near = catalog.closest(key);
      throw InputError(location(file, k.source()) + ": unknown key '" + key + "'" + unknown_hint(key, near));
    }
    cfg.settings[key] = Setting{from_node(*d, node, where), source};
  }
}

}  // namespace

// ------------------------------------------------------------------------------------------------------

std::string Value::to_toml() const {
  switch (type) {
    case MM_VALUE_BOOL:
      return boolean ? "true" : "false";
    case MM_VALUE_INT:
      return std::to_string(integer);
    case MM_VALUE_FLOAT:
      return format_number(number);
    case MM_VALUE_STRING:
      return quote(string);
    case MM_VALUE_INT_ARRAY: {
      std::string s = "[";
      for (std::size_t i = 0; i < ints.size(); ++i) s += (i ? ", " : "") + std::to_string(ints[i]);
      return s + "]";
    }
    default:
      return "(unset)";
  }
}

const char* type_name(mm_value_type type) {
  switch (type) {
    case MM_VALUE_BOOL:
      return "a boolean";
    case MM_VALUE_INT:
      return "an integer";
    case MM_VALUE_FLOAT:
      return "a number";
    case MM_VALUE_STRING:
      return "a string";
    case MM_VALUE_INT_ARRAY:
      return "an array of integers";
    default:
      return "unset";
  }
}

std::string KeyDecl::allowed_text() const {
  std::string s = type_name(type);
  if (type == MM_VALUE_STRING && !allowed.empty()) {
    s = "one of ";
    for (std::size_t i = 0; i < allowed.size(); ++i) s += (i ? ", " : "") + allowed[i];
    return s;
  }
  if (type == MM_VALUE_INT_ARRAY) {
    if (max_count > 0 && min_count == max_count) {
      s = "an array of " + std::to_string(min_count) + " integers";
    } else if (max_count > 0) {
      s = "an array of " + std::to_string(min_count) + " to " + std::to_string(max_count) + " integers";
    }
    if (bounded(*this)) s += " each from " + format_number(min) + " to " + format_number(max);
    return s;
  }
  if ((type == MM_VALUE_INT || type == MM_VALUE_FLOAT) && bounded(*this)) {
    s += " from " + format_number(min) + " to " + format_number(max);
  }
  return s;
}

KeyCatalog KeyCatalog::core_keys() {
  KeyCatalog c;
  auto& k = c.keys_;
  k.push_back(
      make_decl("batch.size", MM_VALUE_INT, int_value(1), 1, 1 << 20, {}, "sequences (images) processed together"));
  for (const char* t : {"weights", "activations", "kv_cache"}) {
    k.push_back(make_decl(std::string("precision.") + t, MM_VALUE_STRING, string_value("bf16"), 1, 0, kDtypes,
                          std::string("storage precision of ") + t));
  }
  k.push_back(make_decl("attention.impl", MM_VALUE_STRING, std::nullopt, 1, 0, {"eager", "flash"},
                        "attention implementation (unset: the model's default)"));
  k.push_back(make_decl("prompt.text_tokens", MM_VALUE_INT, int_value(0), 0, 1e9, {}, "text tokens in the prompt"));
  k.push_back(make_decl("decode.max_new_tokens", MM_VALUE_INT, std::nullopt, 1, 1e9, {},
                        "tokens generated (N): the prefill yields the first, then N-1 decode steps", true));
  // Parallel layout (docs/parallelism.md): GPUs used = tp * pp * dp; ep divides tp * dp.
  k.push_back(make_decl("parallel.tp", MM_VALUE_INT, int_value(1), 1, 1024, {},
                        "tensor-parallel degree: heads, MLP columns and the vocabulary split over this many GPUs"));
  k.push_back(make_decl("parallel.pp", MM_VALUE_INT, int_value(1), 1, 1024, {},
                        "pipeline-parallel degree: layers split into this many consecutive stages"));
  k.push_back(make_decl("parallel.ep", MM_VALUE_INT, int_value(1), 1, 65536, {},
                        "expert-parallel degree: experts split over this many of the tp * dp GPUs"));
  k.push_back(make_decl("parallel.dp", MM_VALUE_INT, int_value(1), 1, 65536, {},
                        "data-parallel replicas: each serves its own batch; throughput multiplies"));
  return c;
}

const char* task_name(mm_task task) noexcept {
  switch (task) {
    case MM_TASK_GENERATE:
      return "generate";
    case MM_TASK_FORWARD:
      return "forward";
    case MM_TASK_TRAIN:
      return "train";
    default:
      return "?";
  }
}

std::optional<mm_task> parse_task(std::string_view name) noexcept {
  for (mm_task t : {MM_TASK_GENERATE, MM_TASK_FORWARD, MM_TASK_TRAIN}) {
    if (name == task_name(t)) return t;
  }
  return std::nullopt;
}

std::string task_list(uint32_t tasks) {
  if (tasks == 0) tasks = MM_TASK_BIT(MM_TASK_GENERATE);
  std::string s;
  for (mm_task t : {MM_TASK_GENERATE, MM_TASK_FORWARD, MM_TASK_TRAIN}) {
    if ((tasks & MM_TASK_BIT(t)) != 0) s += (s.empty() ? "" : ", ") + std::string(task_name(t));
  }
  return s;
}

std::string task_refusal(const std::string& plugin, std::string_view task, uint32_t tasks) {
  return "plugin '" + plugin + "' does not support task '" + std::string(task) + "' (" + kTaskKey +
         "); it supports: " + task_list(tasks);
}

void KeyCatalog::add_task_keys(const std::string& plugin, uint32_t tasks) {
  plugin_ = plugin;
  tasks_ = tasks == 0 ? MM_TASK_BIT(MM_TASK_GENERATE) : tasks;
  if (tasks_ == MM_TASK_BIT(MM_TASK_GENERATE)) return;  // generation only: the catalog of before ABI 1.3
  mm_task first = MM_TASK_GENERATE;
  for (mm_task t : {MM_TASK_TRAIN, MM_TASK_FORWARD, MM_TASK_GENERATE}) {
    if ((tasks_ & MM_TASK_BIT(t)) != 0) first = t;
  }
  keys_.push_back(make_decl(kTaskKey, MM_VALUE_STRING, string_value(task_name(first)), 1, 0,
                            {"generate", "forward", "train"},
                            "what a run models: generate (prefill + decode), forward (one pass over a batch) or "
                            "train (one optimizer step); this plugin supports " +
                                task_list(tasks_)));
  if ((tasks_ & MM_TASK_BIT(MM_TASK_GENERATE)) == 0) {
    // No generation: the prompt and decode keys mean nothing (a workload setting them is refused as unknown).
    std::erase_if(keys_,
                  [](const KeyDecl& d) { return d.key == "decode.max_new_tokens" || d.key == "prompt.text_tokens"; });
  }
  for (KeyDecl& d : keys_) {
    if (d.key == "decode.max_new_tokens") {
      d.required = false;  // required for generate only (prepare_run)
      d.help += " (task generate only)";
    }
  }
  if ((tasks_ & MM_TASK_BIT(MM_TASK_TRAIN)) != 0) {
    keys_.push_back(make_decl("train.recompute", MM_VALUE_STRING, string_value("none"), 1, 0,
                              {"none", "selective", "full"},
                              "activation recomputation (docs/training.md): none, selective (attention scores) or "
                              "full (each layer's forward again)"));
    keys_.push_back(make_decl("train.optimizer", MM_VALUE_STRING, string_value("adam"), 1, 0,
                              {"adam", "sgd_momentum", "sgd"},
                              "optimizer state per parameter: adam 8 bytes (two fp32 moments), sgd_momentum 4, sgd 0"));
    Value yes;
    yes.type = MM_VALUE_BOOL;
    yes.boolean = true;
    keys_.push_back(make_decl("train.master_weights", MM_VALUE_BOOL, yes, 1, 0, {},
                              "keep an fp32 master copy of the weights (4 bytes per parameter)"));
    Value no;
    no.type = MM_VALUE_BOOL;
    keys_.push_back(make_decl("train.dropout", MM_VALUE_BOOL, no, 1, 0, {},
                              "dropout masks kept for the backward pass (GPT-style; Korthikanti et al. 2022)"));
    keys_.push_back(make_decl("train.zero", MM_VALUE_INT, int_value(0), 0, 3, {},
                              "ZeRO stage over the parallel.dp replicas: 0 none, 1 optimizer states sharded, 2 + "
                              "gradients, 3 + weights (docs/training.md)"));
  }
}

void KeyCatalog::add_plugin_keys(const std::string& plugin, const mm_key_decl* const* keys, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    const mm_key_decl* raw = keys == nullptr ? nullptr : keys[i];
    if (raw == nullptr || raw->key == nullptr) {
      throw PluginLoadError("plugin '" + plugin + "' declares a null workload key (#" + std::to_string(i) + ")");
    }
    mm_key_decl kd{};
    std::memcpy(&kd, raw, std::min<size_t>(raw->struct_size, sizeof kd));
    const std::string key = kd.key;
    auto bad = [&](const std::string& why) {
      throw PluginLoadError("plugin '" + plugin + "' declares workload key '" + key + "' badly: " + why);
    };
    const auto dot = key.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == key.size()) bad("keys are 'section.name'");
    if (kd.type < MM_VALUE_BOOL || kd.type > MM_VALUE_INT_ARRAY) bad("unknown type " + std::to_string(kd.type));
    KeyDecl d;
    d.key = key;
    d.type = kd.type;
    d.min = kd.min;
    d.max = kd.max;
    if (kd.allowed != nullptr) d.allowed = split(kd.allowed, '|');
    d.min_count = kd.min_count;
    d.max_count = kd.max_count;
    d.help = kd.help != nullptr ? kd.help : "";
    d.owner = plugin;
    d.path = d.type == MM_VALUE_STRING && is_path_key(key);
    if (kd.default_value != nullptr) {
      try {
        d.default_value = parse_value_text(d, kd.default_value, "default");
      } catch (const InputError& e) {
        bad(std::string("its default does not satisfy the declaration (") + e.what() + ")");
      }
    }
    auto it = std::find_if(keys_.begin(), keys_.end(), [&](const KeyDecl& e) { return e.key == key; });
    if (it != keys_.end()) {
      if (it->owner != "core") bad("declared twice");
      if (it->type != d.type) bad("it redeclares a core key with another type");
      if (d.default_value) it->default_value = d.default_value;  // a plugin may only change the default
      continue;
    }
    keys_.push_back(std::move(d));
  }
}

const KeyDecl* KeyCatalog::find(std::string_view key) const {
  for (const KeyDecl& d : keys_)
    if (d.key == key) return &d;
  return nullptr;
}

std::string KeyCatalog::closest(std::string_view key) const {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(3, key.size() / 3) + 1;
  for (const KeyDecl& d : keys_) {
    // The distance is at least the difference in length: skip what cannot win (a long key would otherwise
    // cost length x length per declared key; fuzz_workload spent most of its time there).
    const std::size_t len_diff = key.size() > d.key.size() ? key.size() - d.key.size() : d.key.size() - key.size();
    if (len_diff >= best_d) continue;
    const std::size_t dist = edit_distance(key, d.key);
    if (dist < best_d) {
      best_d = dist;
      best = d.key;
    }
  }
  return best;
}

Override parse_override(std::string_view arg) {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    throw InputError("--set '" + std::string(arg) + "': expected section.key=value");
  }
  Override o{std::string(arg.substr(0, eq)), std::string(arg.substr(eq + 1))};
  const auto dot = o.key.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == o.key.size()) {
    throw InputError("--set '" + std::string(arg) + "': the key must be section.key (e.g. batch.size=4)");
  }
  if (o.text.empty()) throw InputError("--set '" + std::string(arg) + "': the value is empty");
  return o;
}

Value parse_value_text(const KeyDecl& d, std::string_view text, const std::string& where) {
  // A bare word is read as a string (--set vision.mode=base), also one TOML would read otherwise (nan, inf,
  // true, 12) when the key is declared a string.
  const bool bare = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  std::string doc = "v = ";
  doc += text;
  toml::table t;
  try {
    t = toml::parse(doc);
  } catch (const toml::parse_error&) {
    if (!bare) {
      throw InputError(where + ": key '" + d.key + "' value '" + std::string(text) + "' is not a TOML value");
    }
    t = toml::table{{"v", std::string(text)}};
  }
  if (t.size() != 1) {  // "4\nx = 5": more than one value
    throw InputError(where + ": key '" + d.key + "' value '" + std::string(text) + "' is not a single TOML value");
  }
  const toml::node* node = t.get("v");
  if (d.type == MM_VALUE_STRING && bare && !node->is_string()) {
    t = toml::table{{"v", std::string(text)}};
    node = t.get("v");
  }
  return from_node(d, *node, where);
}

bool is_path_key(std::string_view key) {
  if (key == kModelConfigKey) return true;
  for (const std::string_view end : {".config", ".file", "_file", ".path", "_path", ".dir", "_dir"}) {
    if (key.size() > end.size() && key.ends_with(end)) return true;
  }
  return false;
}

namespace {
// ResolveInputs::names_only: a path-valued key keeps its default or names a bundled model; the test is on the
// spelling only (nothing on disk is looked at), so the message is the same for a path that exists and one that
// does not.
void refuse_paths(const KeyCatalog& catalog, const ResolvedConfig& cfg, const std::filesystem::path& models_dir) {
  for (const KeyDecl& d : catalog.keys()) {
    if (!d.path) continue;
    const auto it = cfg.settings.find(std::string_view(d.key));
    if (it == cfg.settings.end() || it->second.source == "default") continue;
    const std::string& v = it->second.value.string;
    const std::string where = it->second.source + ": key '" + d.key + "' = \"" + v + "\"";
    if (d.key != kModelConfigKey) {
      throw InputError(where + ": this key names a file, and files cannot be chosen here (only its default, " +
                       (d.default_value ? d.default_value->to_toml() : std::string("none")) + ", is used)");
    }
    const bool bare = !v.empty() && v.front() != '.' && v.find_first_of("/\\") == std::string::npos &&
                      v.find('\0') == std::string::npos && !v.ends_with(".json") && !v.ends_with(".toml");
    if (!bare) {
      std::vector<std::string> names;
      std::error_code ec;
      if (!models_dir.empty()) {
        for (const auto& e : std::filesystem::directory_iterator(models_dir, ec)) {
          if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
        }
      }
      std::sort(names.begin(), names.end());
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw InputError(where + ": only bundled model names are accepted here, not paths; available: " +
                       (list.empty() ? "(none)" : list));
    }
  }
}

// A bare `model.config` name ("llama-2-7b") becomes the bundled file <models_dir>/<name>.json; a path (with
// a '/' or ending in .json) is kept as given. An unknown name lists the bundled ones.
void resolve_model_config_name(const KeyCatalog& catalog, const std::filesystem::path& models_dir,
                               ResolvedConfig& cfg) {
  const KeyDecl* d = catalog.find(kModelConfigKey);
  const auto it = cfg.settings.find(std::string_view(kModelConfigKey));
  if (d == nullptr || d->type != MM_VALUE_STRING || it == cfg.settings.end()) return;
  std::string& name = it->second.value.string;
  if (name.find('/') != std::string::npos || name.ends_with(".json")) return;
  std::error_code ec;
  const std::filesystem::path file = models_dir / (name + ".json");
  if (!models_dir.empty() && std::filesystem::is_regular_file(file, ec)) {
    name = file.string();
    return;
  }
  std::vector<std::string> names;
  if (!models_dir.empty()) {
    for (const auto& e : std::filesystem::directory_iterator(models_dir, ec)) {
      if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
    }
  }
  std::sort(names.begin(), names.end());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw InputError(it->second.source + ": unknown model '" + name +
                   "'; available: " + (list.empty() ? "(none)" : list) + " (or give a path to a config.json)");
}
}  // namespace

ResolvedConfig resolve_config(const KeyCatalog& catalog, const ResolveInputs& in) {
  ResolvedConfig cfg;
  cfg.workload_name = in.workload_name;
  for (const KeyDecl& d : catalog.keys()) {
    cfg.order.push_back(d.key);
    if (d.default_value) cfg.settings[d.key] = Setting{*d.default_value, "default"};
  }
  if (in.model_file) {
    const std::string file = in.model_file->string();
    const toml::table t = parse_toml_file(*in.model_file, in.model_text, "model file");
    for (auto&& [k, node] : t) {
      if (node.is_table()) {
        throw InputError(location(file, node.source()) + ": model files hold flat keys (e.g. hidden_size = 1280); '" +
                         std::string(k.str()) + "' is a table");
      }
    }
    apply_table(catalog, t, file, "model.", "model " + file, cfg, false);
  }
  const std::string wfile = in.workload_file.string();
  if (!in.workload_file.empty()) {  // empty: the declared defaults and the overrides only
    const toml::table w = parse_toml_file(in.workload_file, in.workload_text, "workload file");
    apply_table(catalog, w, wfile, "", "workload " + wfile, cfg, true);
  }
  if (in.model_config) {
    const KeyDecl* d = catalog.find(kModelConfigKey);
    if (d == nullptr || d->type != MM_VALUE_STRING) {
      throw InputError("--model '" + *in.model_config +
                       "': this plugin reads TOML model files (a bundled name or a .toml path)");
    }
    Value v;
    v.type = MM_VALUE_STRING;
    v.string = *in.model_config;
    cfg.settings[kModelConfigKey] = Setting{std::move(v), "--model"};
  }
  for (const Override& o : in.overrides) {
    const KeyDecl* d = catalog.find(o.key);
    const std::string where = "--set " + o.key + "=" + o.text;
    if (d == nullptr) {
      if (o.key == kTaskKey) throw InputError(where + ": " + task_refusal(catalog.plugin(), o.text, catalog.tasks()));
      const std::string near = catalog.closest(o.key);
      throw InputError(where + ": unknown key '" + o.key + "'" + unknown_hint(o.key, near));
    }
    cfg.settings[o.key] = Setting{parse_value_text(*d, o.text, where), "--set"};
  }
  if (in.names_only) refuse_paths(catalog, cfg, in.models_dir);
  resolve_model_config_name(catalog, in.models_dir, cfg);
  for (const KeyDecl& d : catalog.keys()) {
    if (d.required && cfg.settings.find(d.key) == cfg.settings.end()) {
      throw InputError((wfile.empty() ? std::string("no workload file, and no --set for")
                                      : "workload file '" + wfile + "' does not set") +
                       " required key '" + d.key + "' (" + d.allowed_text() + ")");
    }
  }
  return cfg;
}

mm_status config_get(const mm_config* config, const char* key, mm_value* out, mm_error* err) noexcept {
  if (config == nullptr || key == nullptr || out == nullptr) {
    modelmeter::detail::set_error(err, MM_ERR_INVALID_ARGUMENT, "config_get: null argument");
    return MM_ERR_INVALID_ARGUMENT;
  }
  *out = mm_value{};
  const auto it = config->settings.find(std::string_view(key));
  if (it == config->settings.end()) {
    if (std::find(config->order.begin(), config->order.end(), key) != config->order.end()) return MM_OK;  // unset
    modelmeter::detail::set_error(err, MM_ERR_NOT_FOUND, std::string("config key '") + key + "' is not declared");
    return MM_ERR_NOT_FOUND;
  }
  const Value& v = it->second.value;
  out->type = v.type;
  out->boolean = v.boolean ? 1 : 0;
  out->integer = v.integer;
  out->number = v.type == MM_VALUE_INT ? static_cast<double>(v.integer) : v.number;
  out->string = v.type == MM_VALUE_STRING ? v.string.c_str() : nullptr;
  out->ints = v.ints.data();
  out->count = v.ints.size();
  return MM_OK;
}

}  // namespace modelmeter::core
