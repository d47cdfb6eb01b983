// Reading config.json: every published key is accepted (the analysis-neutral ones reported as ignored);
// each malformed variant gives one line naming the file and the key.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "hf_test_support.hpp"

using hf_decoder::Architecture;
using hf_decoder::HfConfig;

namespace {

const char* kLlama = R"({
  "_name_or_path": "meta-llama/Llama-2-7b-hf",
  "architectures": ["LlamaForCausalLM"],
  "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": null,
  "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 11008,
  "max_position_embeddings": 4096, "model_type": "llama", "num_attention_heads": 32, "num_hidden_layers": 32,
  "num_key_value_heads": 32, "pretraining_tp": 1, "rms_norm_eps": 1e-05,
  "rope_scaling": {"type": "linear", "factor": 2.0}, "rope_theta": 10000.0,
  "tie_word_embeddings": false, "torch_dtype": "float16", "transformers_version": "4.31.0.dev0",
  "use_cache": true, "vocab_size": 32000
})";

// kLlama with one "key": value replaced (or removed when `value` is empty).
std::string variant(const std::string& key, const std::string& value) {
  std::string s = kLlama;
  const std::string needle = "\"" + key + "\": ";
  const auto at = s.find(needle);
  REQUIRE(at != std::string::npos);
  auto end = at + needle.size();
  int depth = 0;
  while (end < s.size()) {
    const char ch = s[end];
    if (ch == '[' || ch == '{') ++depth;
    if (ch == ']' || ch == '}') {
      if (depth == 0) break;
      --depth;
    }
    if (ch == ',' && depth == 0) break;
    ++end;
  }
  if (value.empty()) {
    if (s[end] == ',') ++end;
    s.erase(at, end - at);
  } else {
    s.replace(at + needle.size(), end - at - needle.size(), value);
  }
  return s;
}

std::string error_of(const std::string& text) {
  try {
    HfConfig::parse(text, "my/config.json");
  } catch (const modelmeter::Error& e) {
    CHECK(e.code() == MM_ERR_INVALID_ARGUMENT);
    return e.what();
  }
  FAIL("no error");
  return {};
}

bool has(const std::vector<std::string>& v, const char* s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST_CASE("a real-shaped config.json loads, rope_scaling, torch_dtype, token ids ... are reported as ignored") {
  const HfConfig c = HfConfig::parse(kLlama, "models/llama-2-7b-hf/config.json");
  CHECK(c.arch == Architecture::Llama);
  CHECK(c.model_name == "llama-2-7b-hf");
  CHECK(c.head_dim == 128);
  CHECK(c.num_key_value_heads == 32);
  for (const char* k : {"rope_scaling", "torch_dtype", "bos_token_id", "eos_token_id", "pad_token_id", "_name_or_path",
                        "transformers_version", "rms_norm_eps", "rope_theta", "use_cache"}) {
    CAPTURE(k);
    CHECK(has(c.ignored_keys, k));
  }
  for (const char* k : {"architectures", "hidden_size", "num_key_value_heads", "tie_word_embeddings"}) {
    CAPTURE(k);
    CHECK_FALSE(has(c.ignored_keys, k));
  }
}

TEST_CASE("every bundled config loads with its architecture's features") {
  CHECK(hf_test::bundled("llama-3-8b").num_key_value_heads == 8);
  CHECK(hf_test::bundled("mistral-7b-v0.1").sliding_window == 4096);
  CHECK(hf_test::bundled("qwen2-7b").qkv_bias);
  CHECK_FALSE(hf_test::bundled("qwen2-7b").o_bias);
  CHECK(hf_test::bundled("qwen2-7b").sliding_window == 0);  // use_sliding_window: false
  const HfConfig mixtral = hf_test::bundled("mixtral-8x7b");
  CHECK(mixtral.n_routed_experts == 8);
  CHECK(mixtral.num_experts_per_tok == 2);
  CHECK(mixtral.sliding_window == 0);  // null
  const HfConfig ds = hf_test::bundled("deepseek-v2-lite");
  CHECK(ds.arch == Architecture::DeepseekV2);
  CHECK(ds.kv_lora_rank == 512);
  CHECK(ds.n_shared_experts == 2);
  CHECK(has(ds.ignored_keys, "rope_scaling"));
  CHECK(has(ds.ignored_keys, "auto_map"));
}

TEST_CASE("head_dim, when given, wins over hidden / heads") {
  const HfConfig c = HfConfig::parse(variant("num_key_value_heads", "8, \"head_dim\": 64"), "x.json");
  CHECK(c.head_dim == 64);
}

TEST_CASE("malformed config.json variants: one line naming the file and the key") {
  struct Case {
    std::string text;
    const char* key;
    const char* says;
  };
  const Case cases[] = {
      {variant("architectures", "[\"GPT2LMHeadModel\"]"), "architectures", "does not model"},
      {variant("architectures", ""), "architectures", "is missing"},
      {variant("architectures", "\"LlamaForCausalLM\""), "architectures", "list of one class name"},
      {variant("hidden_size", ""), "hidden_size", "is missing"},
      {variant("num_hidden_layers", ""), "num_hidden_layers", "is missing"},
      {variant("vocab_size", "\"32000\""), "vocab_size", "integer"},
      {variant("intermediate_size", "0"), "intermediate_size", "positive"},
      {variant("num_attention_heads", "30"), "num_attention_heads", "does not divide hidden_size"},
      {variant("num_key_value_heads", "5"), "num_key_value_heads", "does not divide num_attention_heads"},
      {variant("num_key_value_heads", "-8"), "num_key_value_heads", "integer"},
      {variant("tie_word_embeddings", "\"no\""), "tie_word_embeddings", "true or false"},
      {variant("hidden_act", "\"gelu\""), "hidden_act", "silu"},
  };
  for (const Case& k : cases) {
    CAPTURE(k.key);
    const std::string e = error_of(k.text);
    CHECK(e.find("my/config.json") == 0);
    CHECK(e.find(std::string("key '") + k.key + "'") != std::string::npos);
    CHECK(e.find(k.says) != std::string::npos);
    CHECK(e.find('\n') == std::string::npos);
  }
  CHECK(error_of("{\"architectures\": [").find("not valid JSON") != std::string::npos);
  CHECK(error_of("[1, 2]").find("one JSON object") != std::string::npos);
}

TEST_CASE("architecture-specific keys are required where they are used") {
  std::string mixtral = variant("architectures", "[\"MixtralForCausalLM\"]");
  CHECK(error_of(mixtral).find("key 'num_local_experts' is missing (required for MixtralForCausalLM)") !=
        std::string::npos);
  mixtral = variant("architectures", "[\"MixtralForCausalLM\"], \"num_local_experts\": 8, \"num_experts_per_tok\": 9");
  CHECK(error_of(mixtral).find("key 'num_experts_per_tok'") != std::string::npos);
  const std::string ds = variant("architectures", "[\"DeepseekV2ForCausalLM\"]");
  CHECK(error_of(ds).find("key 'kv_lora_rank' is missing") != std::string::npos);
  const std::string missing = "/nonexistent/config.json";
  try {
    HfConfig::load(missing);
    FAIL("no error");
  } catch (const modelmeter::Error& e) {
    CHECK(std::string(e.what()) == missing + ": cannot open the model config: No such file or directory");
  }
}
