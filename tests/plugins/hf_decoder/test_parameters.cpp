// Exact parameter counts of the bundled checkpoints: the published totals, each also derived here from the
// config's shapes (so a wrong layer and a wrong config cannot cancel out).
#include <doctest/doctest.h>

#include "hf_test_support.hpp"

using namespace hf_test;
using hf_decoder::HfConfig;

namespace {

// The checkpoint's parameters from its shapes, written out per module.
double derived_parameters(const HfConfig& c) {
  const double h = c.hidden_size, V = c.vocab_size, H = c.num_attention_heads, Hkv = c.num_key_value_heads,
               d = c.head_dim;
  const double embed = V * h;                                  // embed_tokens
  const double lm_head = c.tie_word_embeddings ? 0 : V * h;    // lm_head (tied: shares embed_tokens)
  const double norms = 2 * h;                                  // input / post-attention RMSNorm weights
  double attention = h * H * d + 2 * h * Hkv * d + H * d * h;  // q, k, v, o projections
  if (c.qkv_bias) attention += H * d + 2 * Hkv * d;            // q/k/v biases (Qwen2)
  if (c.o_bias) attention += h;
  if (c.mla) {
    const double q_width = H * (c.qk_nope_head_dim + c.qk_rope_head_dim);
    attention = (c.q_lora_rank == 0 ? h * q_width : h * c.q_lora_rank + c.q_lora_rank + c.q_lora_rank * q_width) +
                h * (c.kv_lora_rank + c.qk_rope_head_dim)                   // kv_a_proj_with_mqa
                + c.kv_lora_rank                                            // kv_a_layernorm
                + c.kv_lora_rank * H * (c.qk_nope_head_dim + c.v_head_dim)  // kv_b_proj
                + H * c.v_head_dim * h;                                     // o_proj
  }
  const double dense_mlp = 3 * h * c.intermediate_size;
  const double moe_mlp = c.n_routed_experts * 3 * h * c.moe_intermediate_size     // routed experts
                         + h * c.n_routed_experts                                 // router
                         + c.n_shared_experts * 3 * h * c.moe_intermediate_size;  // shared experts
  double layers = 0;
  for (uint64_t i = 0; i < c.num_hidden_layers; ++i)
    layers += attention + norms + (c.is_moe_layer(i) ? moe_mlp : dense_mlp);
  return embed + layers + h /* final norm */ + lm_head;
}

double tree_parameters(const HfConfig& c) {
  const Stage s = prefill(1, 16);
  return params(eval(model(s, c)));
}

}  // namespace

TEST_CASE("published parameter totals of the bundled configs, derived from their shapes") {
  struct Case {
    const char* name;
    double published;
  };
  const Case cases[] = {{"llama-2-7b", 6'738'415'616.0},
                        {"llama-3-8b", 8'030'261'248.0},
                        {"mistral-7b-v0.1", 7'241'732'096.0},
                        {"qwen2-7b", 7'615'616'512.0},
                        {"mixtral-8x7b", 46'702'792'704.0}};
  for (const Case& k : cases) {
    CAPTURE(k.name);
    const HfConfig c = bundled(k.name);
    CHECK(derived_parameters(c) == k.published);
    CHECK(tree_parameters(c) == k.published);
  }
}

TEST_CASE("DeepSeek-V2-Lite: MLA and routed + shared experts add up to the shapes' total (15.7 B)") {
  const HfConfig c = bundled("deepseek-v2-lite");
  CHECK(c.mla);
  CHECK(c.q_lora_rank == 0);
  CHECK(!c.is_moe_layer(0));
  CHECK(c.is_moe_layer(1));
  const double derived = derived_parameters(c);
  CHECK(tree_parameters(c) == derived);
  CHECK(derived == doctest::Approx(15.706e9).epsilon(1e-3));  // the model card's "15.7B total"
}

TEST_CASE("tie_word_embeddings: the LM head shares the embedding (its parameters counted once)") {
  HfConfig c = bundled("llama-2-7b");
  c.tie_word_embeddings = true;
  CHECK(tree_parameters(c) == 6'738'415'616.0 - 32000.0 * 4096);
}
