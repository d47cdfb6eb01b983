// DeepseekV2DecoderLayer: composition (MHA/MLA, dense/MoE by layer index), the checkpoint's exact parameter
// counts, hand-derived FLOPs at prefill and decode, exact decode ranges; conventions: docs/metrics.md.
#include "decoder/deepseek_v2_decoder_layer.hpp"
#include "dsocr_test_support.hpp"

using deepseek_ocr::DecoderConfig;
using deepseek_ocr::DeepseekV2DecoderLayer;
using dsocr_test::bwd;
using dsocr_test::child;
using dsocr_test::eval;
using dsocr_test::fwd;
using dsocr_test::params;
using dsocr_test::tc;
using modelmeter::make_layer;

namespace {

constexpr double kH = 1280;

modelmeter::LayerPtr prefill_layer(const dsocr_test::Stage& st, uint64_t prompt, uint64_t idx,
                                   const DecoderConfig& cfg = DecoderConfig{}) {
  return make_layer<DeepseekV2DecoderLayer>(st.ctx(), cfg, dsocr_test::prefill_shape(1, prompt), idx);
}

// Sum over the tree of the forward TC FLOPs of core Attention ops (the only non-Linear matmuls here).
double attention_tc(const modelmeter::core::ModuleNode& n) {
  if (n.class_name == "ScaledDotProductAttention") return tc(n);
  double total = 0;
  for (const auto& c : n.children) total += attention_tc(c) * c.repeat;
  return total;
}

}  // namespace

TEST_CASE("DeepseekV2DecoderLayer: layer 0 dense, layers 1-11 MoE — exact parameters of the checkpoint") {
  const auto st = dsocr_test::prefill_stage(1, 913);
  const auto l0 = eval(prefill_layer(st, 913, 0));
  CHECK(l0.class_name == "DeepseekV2DecoderLayer");
  CHECK(child(l0, "input_layernorm").class_name == "DeepseekV2RMSNorm");
  CHECK(child(l0, "self_attn").class_name == "LlamaFlashAttention2");
  CHECK(child(l0, "attn_residual").class_name == "Add");
  CHECK(child(l0, "post_attention_layernorm").class_name == "DeepseekV2RMSNorm");
  CHECK(child(l0, "mlp").class_name == "DeepseekV2MLP");
  CHECK(child(l0, "mlp_residual").class_name == "Add");
  CHECK(params(l0) == 6553600 + 26296320 + 2 * 1280);
  CHECK(l0.shapes == "layer=0 batch=1 query_len=913 kv_len=913 hidden=1280 attention=mha mlp=dense");

  const auto l1 = eval(prefill_layer(st, 913, 1));
  CHECK(child(l1, "mlp").class_name == "DeepseekV2MoE");
  CHECK(params(l1) == 6553600 + 227164160 + 2 * 1280);

  // The 12 layers: 32,852,480 + 11 · 233,720,320 = 2,603,776,000 (with the embedding, the final norm and the
  // vision side, this is the spec's 3,170,627,840 without the LM head).
  double total = 0;
  for (uint64_t i = 0; i < 12; ++i) total += params(eval(prefill_layer(st, 16, i)));
  CHECK(total == 2603776000.0);
}

TEST_CASE("DeepseekV2DecoderLayer: use_mla picks DeepseekV2FlashAttention2") {
  DecoderConfig cfg;
  cfg.use_mla = true;
  const auto st = dsocr_test::prefill_stage(1, 32);
  const auto n = eval(prefill_layer(st, 32, 0, cfg));
  CHECK(child(n, "self_attn").class_name == "DeepseekV2FlashAttention2");
  // MLA at h = 1280, H = 10, d_n = 128, d_r = 64, d_v = 128, c = 512, q_lora_rank = 0:
  // q_proj 1280·10·192 + kv_a 1280·576 + 512 + kv_b 512·10·256 + o_proj 1280·1280.
  CHECK(params(child(n, "self_attn")) == 1280.0 * 1920 + 1280 * 576 + 512 + 512 * 2560 + 1280 * 1280);
}

TEST_CASE("DeepseekV2DecoderLayer: prefill of P = 913, layers 0 and 1 — hand-derived FLOPs") {
  const double t = 913;
  const auto st = dsocr_test::prefill_stage(1, 913);
  const double attention = 4 * 2 * t * kH * kH + 2 * 10 * (t * (t + 1) / 2) * 256;  // projections + causal flash
  const double dense = 3 * 2 * t * kH * 6848;
  const double moe = 2 * t * kH * 64 + 3 * 2 * (t * 6) * kH * 896 + 3 * 2 * t * kH * 1792;
  const auto l0 = eval(prefill_layer(st, 913, 0));
  const auto l1 = eval(prefill_layer(st, 913, 1));
  CHECK(tc(l0) == attention + dense);
  CHECK(tc(l1) == attention + moe);
  // CUDA: two norms 4·T·h each, two residual adds T·h each, plus the attention's and the MLP's.
  const double glue = 2 * 4 * t * kH + 2 * t * kH;
  CHECK(fwd(l0, MM_METRIC_CUDA_FLOPS) ==
        glue + fwd(child(l0, "self_attn"), MM_METRIC_CUDA_FLOPS) + fwd(child(l0, "mlp"), MM_METRIC_CUDA_FLOPS));
  CHECK(fwd(l0, MM_METRIC_CUDA_FLOPS) - fwd(child(l0, "self_attn"), MM_METRIC_CUDA_FLOPS) ==
        glue + 5 * t * 6848);  // the dense MLP's SiLU (4) and Mul (1) per intermediate element
  // Backward: every Linear 2×, flash attention 2.5× its forward.
  const double attn = attention_tc(l1);
  CHECK(bwd(l1, MM_METRIC_TC_FLOPS) == doctest::Approx(2 * (tc(l1) - attn) + 2.5 * attn).epsilon(1e-12));
  CHECK(fwd(l1, MM_METRIC_KV_CACHE_BYTES) == t * 5120);
}

TEST_CASE("DeepseekV2DecoderLayer: decode — a step by hand, linear growth, exact ranges") {
  const uint64_t prompt = 913;
  const auto st = dsocr_test::decode_stage(1, prompt, 511);
  for (uint64_t idx : {0, 1}) {
    CAPTURE(idx);
    const auto make = [&] {
      return make_layer<DeepseekV2DecoderLayer>(st.ctx(), DecoderConfig{}, dsocr_test::decode_shape(1, prompt), idx);
    };
    // Step 0: T = 1 token, K = 914 keys.
    const double mlp = idx == 0 ? 3 * 2 * kH * 6848 : 2 * kH * 64 + 3 * 2 * 6 * kH * 896 + 3 * 2 * kH * 1792;
    const auto first = eval(make(), 0, 1);
    CHECK(tc(first) == 4 * 2 * kH * kH + 2 * 10 * 914 * 256 + mlp);
    // Step s + 1 − step s: one more key, 2·H·(dq + dv) = 5,120 TC FLOPs.
    CHECK(tc(eval(make(), 7, 1)) - tc(eval(make(), 6, 1)) == 5120);
    for (uint64_t steps : {1, 5, 64}) {
      CAPTURE(steps);
      const auto range = eval(make(), 0, steps);
      for (mm_metric_id id : {MM_METRIC_TC_FLOPS, MM_METRIC_CUDA_FLOPS, MM_METRIC_IO_BYTES}) {
        double sum = 0;
        for (uint64_t s = 0; s < steps; ++s) sum += fwd(eval(make(), s, 1), id);
        CHECK(fwd(range, id) == doctest::Approx(sum).epsilon(1e-12));
      }
      // State: the cache after the last step of the range (914 + steps − 1 positions · 5,120 bytes).
      CHECK(fwd(range, MM_METRIC_KV_CACHE_BYTES) == (914.0 + steps - 1) * 5120);
      CHECK(fwd(range, MM_METRIC_PARAMETERS) == params(first));
    }
  }
}
