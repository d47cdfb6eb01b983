// Reads a Hugging Face config.json with Boost.JSON (the only file of the plugin that does).
#include "hf_config.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <modelmeter/config_file.hpp>
#include <modelmeter/sdk.hpp>
#include <set>
#include <sstream>

namespace hf_decoder {

namespace json = boost::json;

const char* architecture_name(Architecture a) {
  switch (a) {
    case Architecture::Llama:
      return "LlamaForCausalLM";
    case Architecture::Mistral:
      return "MistralForCausalLM";
    case Architecture::Qwen2:
      return "Qwen2ForCausalLM";
    case Architecture::Mixtral:
      return "MixtralForCausalLM";
    case Architecture::DeepseekV2:
      return "DeepseekV2ForCausalLM";
  }
  return "?";
}

namespace {

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

  // A non-negative integer (`positive`: >= 1). Absent, or null when `nullable`: `fallback`, or an error
  // when `required`.
  uint64_t integer(const char* key, bool required, uint64_t fallback = 0, bool nullable = false,
                   bool positive = false) {
    const json::value* v = find(key);
    if (v == nullptr) {
      if (required) fail(key, "is missing (required for " + arch_ + ")");
      return fallback;
    }
    if (nullable && v->is_null()) return fallback;
    uint64_t x = 0;
    if (v->is_int64() && v->as_int64() >= 0) {
      x = static_cast<uint64_t>(v->as_int64());
    } else if (v->is_uint64()) {
      x = v->as_uint64();
    } else {
      fail(key, std::string("must be a ") + (positive ? "positive" : "non-negative") + " integer, got " +
                    json::serialize(*v));
    }
    if (positive && x == 0) fail(key, "must be a positive integer, got 0");
    return x;
  }
  uint64_t positive(const char* key, bool required, uint64_t fallback = 0, bool nullable = false) {
    return integer(key, required, fallback, nullable, true);
  }
  bool boolean(const char* key, bool fallback) {
    const json::value* v = find(key);
    if (v == nullptr || v->is_null()) return fallback;
    if (!v->is_bool()) fail(key, "must be true or false, got " + json::serialize(*v));
    return v->as_bool();
  }

  std::vector<std::string> unused() const {
    std::vector<std::string> keys;
    for (const auto& kv : o_) {
      if (used_.count(std::string(kv.key())) == 0) keys.emplace_back(kv.key());
    }
    std::sort(keys.begin(), keys.end());
    return keys;
  }
  void set_arch(std::string a) { arch_ = std::move(a); }
  const std::string& file() const { return file_; }

 private:
  const json::object& o_;
  std::string file_;
  std::string arch_ = "every architecture";
  std::set<std::string> used_;
};

std::string model_name_of(const std::string& file) {
  std::string f = file;
  const auto slash = f.find_last_of('/');
  std::string base = slash == std::string::npos ? f : f.substr(slash + 1);
  std::string dir = slash == std::string::npos ? std::string() : f.substr(0, slash);
  if (base.size() > 5 && base.compare(base.size() - 5, 5, ".json") == 0) base.resize(base.size() - 5);
  if (base == "config" && !dir.empty()) {
    const auto s2 = dir.find_last_of('/');
    const std::string parent = s2 == std::string::npos ? dir : dir.substr(s2 + 1);
    if (!parent.empty() && parent != ".") return parent;
  }
  return base;
}

}  // namespace

HfConfig HfConfig::load(const std::string& path) {
  const std::string text = modelmeter::read_model_config(path, kMaxConfigBytes);
  return parse(text, path);
}

HfConfig HfConfig::parse(const std::string& text, const std::string& file) {
  json::error_code ec;
  const json::value doc = json::parse(text, ec);
  if (ec) throw modelmeter::InvalidArgument(file + ": not valid JSON (" + ec.message() + ")");
  if (!doc.is_object()) throw modelmeter::InvalidArgument(file + ": a config.json holds one JSON object");
  Reader r(doc.as_object(), file);
  HfConfig c;
  c.file = file;
  c.model_name = model_name_of(file);

  // architectures: ["LlamaForCausalLM"]
  const json::value* archs = r.find("architectures");
  if (archs == nullptr) r.fail("architectures", "is missing (e.g. [\"LlamaForCausalLM\"])");
  if (!archs->is_array() || archs->as_array().size() != 1 || !archs->as_array()[0].is_string()) {
    r.fail("architectures", "must be a list of one class name, got " + json::serialize(*archs));
  }
  const std::string arch(archs->as_array()[0].as_string());
  static const std::pair<const char*, Architecture> kArchs[] = {{"LlamaForCausalLM", Architecture::Llama},
                                                                {"MistralForCausalLM", Architecture::Mistral},
                                                                {"Qwen2ForCausalLM", Architecture::Qwen2},
                                                                {"MixtralForCausalLM", Architecture::Mixtral},
                                                                {"DeepseekV2ForCausalLM", Architecture::DeepseekV2}};
  const auto* found =
      std::find_if(std::begin(kArchs), std::end(kArchs), [&](const auto& a) { return arch == a.first; });
  if (found == std::end(kArchs)) {
    r.fail("architectures", "names '" + arch +
                                "', which hf_decoder does not model (supported: LlamaForCausalLM, MistralForCausalLM, "
                                "Qwen2ForCausalLM, MixtralForCausalLM, DeepseekV2ForCausalLM)");
  }
  c.arch = found->second;
  r.set_arch(arch);

  c.hidden_size = r.positive("hidden_size", true);
  c.num_hidden_layers = r.positive("num_hidden_layers", true);
  c.num_attention_heads = r.positive("num_attention_heads", true);
  c.intermediate_size = r.positive("intermediate_size", true);
  c.vocab_size = r.positive("vocab_size", true);
  c.max_position_embeddings = r.positive("max_position_embeddings", true);
  c.num_key_value_heads = r.positive("num_key_value_heads", false, c.num_attention_heads, true);
  c.tie_word_embeddings = r.boolean("tie_word_embeddings", false);

  const json::value* hd = r.find("head_dim");
  if (hd != nullptr && !hd->is_null()) {
    c.head_dim = r.positive("head_dim", false);
  } else {
    if (c.hidden_size % c.num_attention_heads != 0) {
      r.fail("num_attention_heads", "= " + std::to_string(c.num_attention_heads) + " does not divide hidden_size = " +
                                        std::to_string(c.hidden_size) + " (and no head_dim is given)");
    }
    c.head_dim = c.hidden_size / c.num_attention_heads;
  }
  if (c.num_attention_heads % c.num_key_value_heads != 0) {
    r.fail("num_key_value_heads",
           "= " + std::to_string(c.num_key_value_heads) +
               " does not divide num_attention_heads = " + std::to_string(c.num_attention_heads));
  }
  {
    const json::value* act = r.find("hidden_act");
    if (act != nullptr && !(act->is_string() && act->as_string() == "silu")) {
      r.fail("hidden_act", "must be \"silu\" (the SwiGLU MLP hf_decoder models), got " + json::serialize(*act));
    }
  }

  switch (c.arch) {
    case Architecture::Llama:
      c.qkv_bias = c.o_bias = r.boolean("attention_bias", false);
      c.mlp_bias = r.boolean("mlp_bias", false);
      break;
    case Architecture::Mistral:
      c.sliding_window = r.integer("sliding_window", false, 0, true);
      break;
    case Architecture::Qwen2:
      c.qkv_bias = true;  // Qwen2Attention: q/k/v with bias, o_proj without
      if (r.boolean("use_sliding_window", false)) {
        r.fail("use_sliding_window", "= true is not modeled (Qwen2's per-layer window via max_window_layers)");
      }
      break;
    case Architecture::Mixtral:
      c.sliding_window = r.integer("sliding_window", false, 0, true);
      c.n_routed_experts = r.positive("num_local_experts", true);
      c.num_experts_per_tok = r.positive("num_experts_per_tok", true);
      c.moe_intermediate_size = c.intermediate_size;
      c.renormalize_topk = true;
      break;
    case Architecture::DeepseekV2: {
      if (r.boolean("attention_bias", false)) r.fail("attention_bias", "= true is not modeled for MLA");
      c.mla = true;
      c.q_lora_rank = r.integer("q_lora_rank", false, 0, true);
      c.kv_lora_rank = r.positive("kv_lora_rank", true);
      c.qk_rope_head_dim = r.positive("qk_rope_head_dim", true);
      c.qk_nope_head_dim = r.positive("qk_nope_head_dim", true);
      c.v_head_dim = r.positive("v_head_dim", true);
      if (c.qk_rope_head_dim % 2 != 0)
        r.fail("qk_rope_head_dim", "must be even, got " + std::to_string(c.qk_rope_head_dim));
      c.n_routed_experts = r.integer("n_routed_experts", false, 0, true);
      c.n_shared_experts = r.integer("n_shared_experts", false, 0, true);
      if (c.n_routed_experts > 0) {
        c.num_experts_per_tok = r.positive("num_experts_per_tok", true);
        c.moe_intermediate_size = r.positive("moe_intermediate_size", true);
      }
      c.first_k_dense_replace = r.integer("first_k_dense_replace", false, 0);
      c.moe_layer_freq = r.positive("moe_layer_freq", false, 1);
      c.renormalize_topk = r.boolean("norm_topk_prob", false);
      break;
    }
  }
  if (c.head_dim % 2 != 0 && !c.mla)
    r.fail("head_dim", "must be even (rotary halves), got " + std::to_string(c.head_dim));
  if (c.n_routed_experts > 0 && c.num_experts_per_tok > c.n_routed_experts) {
    r.fail("num_experts_per_tok", "= " + std::to_string(c.num_experts_per_tok) + " exceeds the " +
                                      std::to_string(c.n_routed_experts) + " routed experts");
  }
  c.ignored_keys = r.unused();
  return c;
}

}  // namespace hf_decoder
