// Reads a Hugging Face ViTConfig config.json with Boost.JSON (the only file of the plugin that does), and holds
// the built-in model table.
#include "vit_config.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <modelmeter/config_file.hpp>
#include <modelmeter/sdk.hpp>
#include <set>

namespace vit {

namespace json = boost::json;

namespace {

struct Preset {
  const char* name;
  uint64_t hidden, layers, heads, intermediate, patch;
};
// google/vit-base-patch16-224, google/vit-large-patch16-224, google/vit-huge-patch14-224-in21k (Dosovitskiy et
// al. 2021, Table 1), each with a 1000-class head at 224 × 224.
constexpr Preset kPresets[] = {
    {"vit-b-16", 768, 12, 12, 3072, 16}, {"vit-l-16", 1024, 24, 16, 4096, 16}, {"vit-h-14", 1280, 32, 16, 5120, 14}};

// Key lookups that record which keys the analysis uses; everything else is reported as ignored.
class Reader {
 public:
  Reader(const json::object& o, std::string file) : o_(o), file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw modelmeter::InvalidArgument(file_ + ": key '" + key + "' " + what);
  }
  const json::value* find(const char* key) {
    used_.insert(key);
    const auto it = o_.find(key);
    return it == o_.end() ? nullptr : &it->value();
  }
  // A positive integer; absent: `fallback` (or an error when `required`).
  uint64_t positive(const char* key, bool required, uint64_t fallback) {
    const json::value* v = find(key);
    if (v == nullptr) {
      if (required) fail(key, "is missing (required for a ViTConfig)");
      return fallback;
    }
    if (v->is_int64() && v->as_int64() > 0) return static_cast<uint64_t>(v->as_int64());
    if (v->is_uint64() && v->as_uint64() > 0) return v->as_uint64();
    fail(key, "must be a positive integer, got " + json::serialize(*v));
  }
  bool boolean(const char* key, bool fallback) {
    const json::value* v = find(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_bool()) fail(key, "must be true or false, got " + json::serialize(*v));
    return v->as_bool();
  }
  double number(const char* key, double fallback) {
    const json::value* v = find(key);
    if (v == nullptr) return fallback;
    if (v->is_double()) return v->as_double();
    if (v->is_int64()) return static_cast<double>(v->as_int64());
    if (v->is_uint64()) return static_cast<double>(v->as_uint64());
    fail(key, "must be a number, got " + json::serialize(*v));
  }
  std::vector<std::string> unused() const {
    std::vector<std::string> keys;
    for (const auto& kv : o_) {
      if (used_.count(std::string(kv.key())) == 0) keys.emplace_back(kv.key());
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }

 private:
  const json::object& o_;
  std::string file_;
  std::set<std::string> used_;
};

std::string model_name_of(const std::string& file) {
  const auto slash = file.find_last_of('/');
  std::string base = slash == std::string::npos ? file : file.substr(slash + 1);
  const std::string dir = slash == std::string::npos ? std::string() : file.substr(0, slash);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0) base.resize(base.size() - 5);
  if (base == "config" && !dir.empty()) {
    const auto s2 = dir.find_last_of('/');
    const std::string parent = s2 == std::string::npos ? dir : dir.substr(s2 + 1);
    if (!parent.empty() && parent != ".") return parent;
  }
  return base;
}

}  // namespace

const char* VitConfig::preset_names() {
  return "vit-b-16|vit-l-16|vit-h-14";
}

bool VitConfig::is_preset(const std::string& name) {
  return std::any_of(std::begin(kPresets), std::end(kPresets), [&](const Preset& p) { return name == p.name; });
}

VitConfig VitConfig::preset(const std::string& name) {
  for (const Preset& p : kPresets) {
    if (name != p.name) continue;
    VitConfig c;
    c.model_name = p.name;
    c.hidden_size = p.hidden;
    c.num_hidden_layers = p.layers;
    c.num_attention_heads = p.heads;
    c.intermediate_size = p.intermediate;
    c.patch_size = p.patch;
    return c;
  }
  throw modelmeter::InvalidArgument("unknown ViT model '" + name + "'; built-in: " + preset_names() +
                                    " (or give a path to a ViTConfig config.json)");
}

VitConfig VitConfig::load(const std::string& path) {
  if (path.find('/') == std::string::npos && is_preset(path)) return preset(path);
  const std::string text = modelmeter::read_model_config(path, kMaxConfigBytes);
  return parse(text, path);
}

VitConfig VitConfig::parse(const std::string& text, const std::string& file) {
  json::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec) throw modelmeter::InvalidArgument(file + ": not valid JSON (" + ec.message() + ")");
  if (!doc.is_object()) throw modelmeter::InvalidArgument(file + ": a config.json holds one JSON object");
  Reader r(doc.as_object(), file);
  VitConfig c;
  c.file = file;
  c.model_name = model_name_of(file);

  if (const json::value* archs = r.find("architectures")) {
    static const char* const kArchs[] = {"ViTForImageClassification", "ViTModel"};
    const bool ok = archs->is_array() && archs->as_array().size() == 1 && archs->as_array()[0].is_string() &&
                    std::any_of(std::begin(kArchs), std::end(kArchs),
                                [&](const char* a) { return archs->as_array()[0].as_string() == a; });
    if (!ok) {
      r.fail("architectures",
             "must be [\"ViTForImageClassification\"] or [\"ViTModel\"], got " + json::serialize(*archs));
    }
  }
  if (const json::value* mt = r.find("model_type")) {
    if (!(mt->is_string() && mt->as_string() == "vit"))
      r.fail("model_type", "must be \"vit\", got " + json::serialize(*mt));
  }
  c.hidden_size = r.positive("hidden_size", true, 0);
  c.num_hidden_layers = r.positive("num_hidden_layers", true, 0);
  c.num_attention_heads = r.positive("num_attention_heads", true, 0);
  c.intermediate_size = r.positive("intermediate_size", true, 0);
  c.image_size = r.positive("image_size", false, 224);
  c.patch_size = r.positive("patch_size", false, 16);
  c.num_channels = r.positive("num_channels", false, 3);
  c.qkv_bias = r.boolean("qkv_bias", true);
  c.layer_norm_eps = r.number("layer_norm_eps", 1e-12);
  if (const json::value* act = r.find("hidden_act")) {
    if (!(act->is_string() &&
          (act->as_string() == "gelu" || act->as_string() == "gelu_new" || act->as_string() == "quick_gelu"))) {
      r.fail("hidden_act", "must be \"gelu\" (the MLP the vit plugin models), got " + json::serialize(*act));
    }
  }
  // The classifier's rows: num_labels, else the size of id2label (what transformers derives), else 1000.
  const json::value* labels = r.find("num_labels");
  const json::value* id2label = r.find("id2label");
  r.find("label2id");
  if (labels != nullptr) {
    c.num_labels = r.positive("num_labels", false, 1000);
  } else if (id2label != nullptr) {
    if (!id2label->is_object() || id2label->as_object().empty()) {
      r.fail("id2label", "must be a non-empty object of labels, got " + json::serialize(*id2label).substr(0, 60));
    }
    c.num_labels = id2label->as_object().size();
  }
  if (const json::value* archs = r.find("architectures")) {
    if (archs->as_array()[0].as_string() == "ViTModel") c.num_labels = 0;  // no classifier head
  }
  if (c.hidden_size % c.num_attention_heads != 0) {
    r.fail("num_attention_heads", "= " + std::to_string(c.num_attention_heads) +
                                      " does not divide hidden_size = " + std::to_string(c.hidden_size));
  }
  if (c.patch_size > c.image_size) {
    r.fail("patch_size", "= " + std::to_string(c.patch_size) + " exceeds image_size = " + std::to_string(c.image_size));
  }
  // Keys with no effect on any figure: provenance, initialisation, the decoder stride of masked-image modeling.
  for (const char* k : {"_name_or_path", "initializer_range", "encoder_stride", "transformers_version", "torch_dtype"})
    r.find(k);
  // Dropout is not modeled: 0 (the published checkpoints) changes nothing; another rate is reported as ignored.
  std::vector<std::string> dropouts;
  for (const char* k : {"hidden_dropout_prob", "attention_probs_dropout_prob"}) {
    if (r.number(k, 0) != 0) dropouts.emplace_back(k);
  }
  c.ignored_keys = r.unused();
  c.ignored_keys.insert(c.ignored_keys.end(), dropouts.begin(), dropouts.end());
  std::sort(c.ignored_keys.begin(), c.ignored_keys.end());
  return c;
}

}  // namespace vit
