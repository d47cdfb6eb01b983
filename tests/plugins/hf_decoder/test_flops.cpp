// Hand-derived Tensor-Core FLOPs of Llama-2-7B at prompt 1024, in both attention conventions, and the laws
// the issue names: GQA changes KV bytes, not score FLOPs; a sliding window caps decode attention; Mixtral's
// decode reads at most 2 experts per layer per token at batch 1.
#include <doctest/doctest.h>

#include "hf_sparse_moe_block.hpp"
#include "hf_test_support.hpp"

using namespace hf_test;
using hf_decoder::HfConfig;

namespace {
// Llama-2-7B: h = 4096, i = 11008, H = 32 heads of d = 128, L = 32, V = 32000.
constexpr double h = 4096, i = 11008, H = 32, d = 128, L = 32, V = 32000;
constexpr double P = 1024;

// One layer's matmul FLOPs for T tokens (2 per MAC): q, k, v, o projections (4·h² each token) and the SwiGLU
// MLP (3·h·i), plus the attention core 2·H·E·(d + d) for E score entries per head.
double layer_tc(double T, double entries) {
  return 2 * T * 4 * h * h + 2 * T * 3 * h * i + 2 * H * entries * 2 * d;
}
}  // namespace

TEST_CASE("Llama-2-7B prefill, prompt 1024: flash counts the causal triangle, eager the full square") {
  const HfConfig c = bundled("llama-2-7b");
  const double lm_head = 2 * 1 * h * V;  // logits for the last position only
  const double flash_entries = P * (P + 1) / 2;
  const double eager_entries = P * P;
  const double flash = tc(eval(model(prefill(1, 1024, MM_ATTENTION_FLASH), c)));
  const double eager = tc(eval(model(prefill(1, 1024, MM_ATTENTION_EAGER), c)));
  CHECK(flash == L * layer_tc(P, flash_entries) + lm_head);
  CHECK(eager == L * layer_tc(P, eager_entries) + lm_head);
  // 13.4 TFLOP at flash: 2 · 6.74e9 parameters · 1024 tokens, less the LM head's 1023 skipped rows, plus attention.
  CHECK(flash == doctest::Approx(13.48e12).epsilon(5e-3));
  CHECK(eager - flash == L * 4 * H * d * (eager_entries - flash_entries));
}

TEST_CASE("Llama-2-7B decode steps after prompt 1024: per step and the exact sum of 255 steps") {
  const HfConfig c = bundled("llama-2-7b");
  for (const mm_attention_impl impl : {MM_ATTENTION_FLASH, MM_ATTENTION_EAGER}) {
    const Stage s = decode(1, 1024, 255, impl);
    const auto tree = model(s, c);
    // Step 0 sees K = 1025 positions; one query row: causal or not, E = K entries per head.
    CHECK(tc(eval(tree, 0, 1)) == L * layer_tc(1, 1025) + 2 * h * V);
    CHECK(tc(eval(tree, 254, 1)) == L * layer_tc(1, 1279) + 2 * h * V);
    const double sum_contexts = 255.0 * (1025 + 1279) / 2;  // Σ K over the 255 steps
    const double expected = 255 * (L * (2 * 4 * h * h + 2 * 3 * h * i) + 2 * h * V) + L * 4 * H * d * sum_contexts;
    CHECK(tc(eval(tree, 0, 255)) == doctest::Approx(expected).epsilon(1e-12));
  }
}

TEST_CASE("count.lm_head = all adds the LM head on every prompt row, count.embedding = matmul adds 2·T·V·h") {
  const HfConfig c = bundled("llama-2-7b");
  const Stage s = prefill(1, 1024);
  const double base = tc(eval(model(s, c)));
  hf_decoder::Conventions all;
  all.lm_head_all_tokens = true;
  CHECK(tc(eval(model(s, c, all))) - base == 2 * (P - 1) * h * V);
  hf_decoder::Conventions matmul;
  matmul.embedding_matmul = true;
  const auto m = eval(model(s, c, matmul));
  CHECK(tc(m) - base == 2 * P * V * h);
  CHECK(params(m) == 6'738'415'616.0);  // the convention changes FLOPs, not the model
}

TEST_CASE("GQA changes KV-cache bytes and K/V projections, not the score FLOPs") {
  const HfConfig gqa = bundled("llama-3-8b");  // 8 KV heads of 32
  HfConfig mha = gqa;
  mha.num_key_value_heads = 32;
  const Stage s = decode(1, 1024, 1);
  const auto g = eval(model(s, gqa));
  const auto m = eval(model(s, mha));
  const auto& g_attn = child(child(child(g, "layers.{0..31}"), "self_attn"), "attention");
  const auto& m_attn = child(child(child(m, "layers.{0..31}"), "self_attn"), "attention");
  CHECK(tc(g_attn) == tc(m_attn));
  CHECK(fwd(g_attn, MM_METRIC_KV_CACHE_BYTES) * 4 == fwd(m_attn, MM_METRIC_KV_CACHE_BYTES));
  // Cache after step 0: 2 (K, V) · H_kv · d · K positions · 2 bytes, per layer.
  CHECK(fwd(g_attn, MM_METRIC_KV_CACHE_BYTES) == 2 * 8 * 128 * 1025 * 2.0);
  CHECK(fwd(g_attn, MM_METRIC_IO_BYTES) < fwd(m_attn, MM_METRIC_IO_BYTES));
}

TEST_CASE("Mistral's sliding window caps decode attention past 4096 positions") {
  const HfConfig c = bundled("mistral-7b-v0.1");
  REQUIRE(c.sliding_window == 4096);
  HfConfig full = c;
  full.sliding_window = 0;
  const double per_context = 4 * 32 * 128;  // 2·H·(d + d) score FLOPs per context position, one layer
  auto attention_tc = [](const HfConfig& cfg, uint64_t prompt, uint64_t first, uint64_t count) {
    const Stage s = decode(1, prompt, first + count);
    return tc(child(child(child(eval(model(s, cfg), first, count), "layers.{0..31}"), "self_attn"), "attention"));
  };
  // Prompt 8192: every step attends to the 4096-position window, whatever its context.
  CHECK(attention_tc(c, 8192, 0, 1) == per_context * 4096);
  CHECK(attention_tc(c, 8192, 99, 1) == per_context * 4096);
  CHECK(attention_tc(c, 8192, 0, 100) == 100 * per_context * 4096);
  CHECK(attention_tc(full, 8192, 0, 1) == per_context * 8193);
  // Prompt 4000: contexts 4001 ... 4200; the window binds from step 96 (context 4097) on. Exact sum.
  double sum = 0;
  for (double k = 4001; k <= 4200; ++k) sum += std::min(k, 4096.0);
  CHECK(attention_tc(c, 4000, 0, 200) == doctest::Approx(per_context * sum).epsilon(1e-12));
  CHECK(attention_tc(c, 4000, 0, 96) == attention_tc(full, 4000, 0, 96));  // below the window: unchanged
  // The cache is a rolling buffer of 4096 positions.
  const Stage s = decode(1, 8192, 1);
  const auto tree = eval(model(s, c));  // kept alive: `attn` refers into it
  const auto& attn = child(child(child(tree, "layers.{0..31}"), "self_attn"), "attention");
  CHECK(fwd(attn, MM_METRIC_KV_CACHE_BYTES) == 2 * 8 * 128 * 4096 * 2.0);
}

TEST_CASE("Mistral prefill past the window (flash): W(W+1)/2 + (P - W)·W score entries per head") {
  const HfConfig c = bundled("mistral-7b-v0.1");
  const double W = 4096, Pl = 6000;
  const Stage s = prefill(1, 6000);
  const auto tree = eval(model(s, c));  // kept alive: `attn` refers into it
  const auto& attn = child(child(child(tree, "layers.{0..31}"), "self_attn"), "attention");
  CHECK(tc(attn) == 4 * 32 * 128 * (W * (W + 1) / 2 + (Pl - W) * W));
}

TEST_CASE("Mixtral decode at batch 1 reads 2 of the 8 experts per layer per token, prefill reads all") {
  const HfConfig c = bundled("mixtral-8x7b");
  const Stage s = decode(1, 1024, 1);
  const modelmeter::blocks::AttentionPositions one{1, 1, 1025, true, MM_ATTENTION_FLASH};
  const hf_decoder::HfSparseMoeBlock block(s.ctx(), c, one);
  CHECK(block.experts_touched() == doctest::Approx(2.0).epsilon(1e-15));
  CHECK(block.experts_touched() <= 2.0);

  // The experts' traffic in one decode step: 2 experts' bf16 weights (3·h·i each) plus the activations of the
  // 2 token-slots (under 1 MB); a third expert would add another 352 MB.
  const auto tree = eval(model(s, c));
  const auto& experts = child(child(child(tree, "layers.{0..31}"), "mlp"), "experts");
  const double expert_bytes = 3 * 4096.0 * 14336 * 2;
  CHECK(fwd(experts, MM_METRIC_IO_BYTES) > 2 * expert_bytes);
  CHECK(fwd(experts, MM_METRIC_IO_BYTES) < 2 * expert_bytes + 1e6);
  CHECK(fwd(experts, MM_METRIC_PARAMETERS) == 8 * 3 * 4096.0 * 14336);  // all 8 experts are in the model

  const Stage p = prefill(1, 1024);
  const hf_decoder::HfSparseMoeBlock all(p.ctx(), c, {1, 1024, 1024, false, MM_ATTENTION_FLASH});
  CHECK(all.experts_touched() == doctest::Approx(8.0));
}
