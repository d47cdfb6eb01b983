// The decoder's feed-forward layers: DeepseekV2MLP, MoEGate, DeepseekV2MoE and DeepseekV2RMSNorm. Exact
// parameter counts of the checkpoint, hand-derived FLOPs, the experts-touched law; conventions: docs/metrics.md.
#include <cmath>

#include "decoder/deepseek_v2_mlp.hpp"
#include "decoder/deepseek_v2_moe.hpp"
#include "decoder/deepseek_v2_rms_norm.hpp"
#include "decoder/moe_gate.hpp"
#include "dsocr_test_support.hpp"

using deepseek_ocr::DecoderConfig;
using deepseek_ocr::DeepseekV2MLP;
using deepseek_ocr::DeepseekV2MoE;
using deepseek_ocr::DeepseekV2RMSNorm;
using deepseek_ocr::MoEGate;
using dsocr_test::bwd;
using dsocr_test::child;
using dsocr_test::eval;
using dsocr_test::fwd;
using dsocr_test::params;
using dsocr_test::tc;
using modelmeter::make_layer;

namespace {

constexpr double kH = 1280, kE = 64, kK = 6, kI = 896, kShared = 2 * 896, kDense = 6848;

// Forward CUDA FLOPs of one MoE layer over T tokens at the checkpoint's shapes, written out by hand.
double moe_cuda(double t) {
  const double gate = 5 * t * kE                            // softmax over the 64 scores
                      + kK * kE * t                         // greedy top-6: 6 passes of 64 comparisons
                      + kK * t;                             // ·routed_scaling_factor
  const double routed = 4 * (t * kK) * kI + (t * kK) * kI;  // SiLU and Mul on the T·6 token-slots
  const double shared = 4 * t * kShared + t * kShared;      // SiLU and Mul of the shared experts
  const double combine = 2 * t * kK * kH;                   // ·w, Σ over the 6, + shared output
  return gate + routed + shared + combine;
}

// Forward Tensor-Core FLOPs of one MoE layer over T tokens, by hand.
double moe_tc(double t) {
  return 2 * t * kH * kE               // gate: Linear 1280 → 64
         + 3 * 2 * (t * kK) * kH * kI  // routed experts: 3 projections on T·6 token-slots
         + 3 * 2 * t * kH * kShared;   // shared experts: 3 projections of 1280 × 1792
}

// Weight bytes an MLP child reads in one step, recovered from its traffic: io minus the activation traffic of
// gate_proj, up_proj (read h, write i), SiLU (read i, write i), Mul (read 2·i, write i) and down_proj (read i,
// write h) on `rows` rows of intermediate width `inter`; bf16 everywhere (2 bytes).
double mlp_weight_bytes(const modelmeter::core::ModuleNode& mlp, double rows, double inter) {
  const double activations = 2 * rows * (2 * (kH + inter) + 2 * inter + 3 * inter + (inter + kH));
  return fwd(mlp, MM_METRIC_IO_BYTES) - activations;
}

// Routed experts read in one step: weight bytes over one expert's 3·h·i weights at 2 bytes.
double groups_read(const modelmeter::core::ModuleNode& experts, double slots) {
  return mlp_weight_bytes(experts, slots, kI) / (2 * 3 * kH * kI);
}

}  // namespace

TEST_CASE("DeepseekV2RMSNorm wraps core RMSNorm: h parameters, 4 FLOPs per element") {
  const auto st = dsocr_test::prefill_stage(1, 10);
  const auto n = eval(make_layer<DeepseekV2RMSNorm>(st.ctx(), 10.0, 1280));
  CHECK(n.class_name == "DeepseekV2RMSNorm");
  CHECK(n.category == MM_CATEGORY_NORM);
  CHECK(params(n) == 1280);
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == 4 * 10 * 1280);
  CHECK(fwd(n, MM_METRIC_IO_BYTES) == 2 * 2 * 10 * 1280 + 2 * 1280);
  CHECK(n.shapes == "tokens=10 hidden=1280");
}

TEST_CASE("DeepseekV2MLP: layer 0's dense MLP — exact parameters, hand-derived FLOPs, backward 2×") {
  const auto st = dsocr_test::prefill_stage(1, 913);
  const auto n = eval(make_layer<DeepseekV2MLP>(st.ctx(), 1280, 6848, 913.0));
  CHECK(n.class_name == "DeepseekV2MLP");
  CHECK(params(n) == 26296320);  // 3 · 1280 · 6848
  CHECK(tc(n) == 3 * 2 * 913 * kH * kDense);
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == 4 * 913 * kDense + 913 * kDense);  // SiLU + Mul
  CHECK(bwd(n, MM_METRIC_TC_FLOPS) == 2 * tc(n));
  CHECK(bwd(n, MM_METRIC_CUDA_FLOPS) == 8 * 913 * kDense + 2 * 913 * kDense);
  // Linear parts scale with the tokens.
  const auto st2 = dsocr_test::prefill_stage(1, 1826);
  const auto n2 = eval(make_layer<DeepseekV2MLP>(st2.ctx(), 1280, 6848, 1826.0));
  CHECK(tc(n2) == 2 * tc(n));
  CHECK(fwd(n2, MM_METRIC_CUDA_FLOPS) == 2 * fwd(n, MM_METRIC_CUDA_FLOPS));
}

TEST_CASE("MoEGate: 81,920 parameters, softmax and greedy top-k — hand-derived") {
  const auto st = dsocr_test::prefill_stage(1, 100);
  const auto n = eval(make_layer<MoEGate>(st.ctx(), DecoderConfig{}, 100.0));
  CHECK(n.class_name == "MoEGate");
  CHECK(n.category == MM_CATEGORY_MOE_ROUTING);
  CHECK(params(n) == 81920);  // 1280 · 64, no bias
  CHECK(tc(n) == 2 * 100 * kH * kE);
  // softmax 5·T·E + top-k k·E·T + scaling k·T.
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == 5 * 100 * kE + kK * kE * 100 + kK * 100);
  // Own glue traffic: read T·E scores (2 B), write T·k weights (2 B) and ids (4 B).
  const double glue_io = fwd(n, MM_METRIC_IO_BYTES) - fwd(child(n, "weight"), MM_METRIC_IO_BYTES) -
                         fwd(child(n, "softmax"), MM_METRIC_IO_BYTES);
  CHECK(glue_io == 2 * 100 * kE + 6 * 100 * kK);
  CHECK(bwd(n, MM_METRIC_TC_FLOPS) == 2 * tc(n));
  DecoderConfig bad;
  bad.num_experts_per_tok = 65;
  CHECK_THROWS_AS(make_layer<MoEGate>(st.ctx(), bad, 100.0), modelmeter::InvalidArgument);
}

TEST_CASE("DeepseekV2MoE: the checkpoint's MoE layer — exact parameters") {
  const auto st = dsocr_test::prefill_stage(1, 913);
  const auto n = eval(make_layer<DeepseekV2MoE>(st.ctx(), DecoderConfig{}, dsocr_test::prefill_shape(1, 913)));
  CHECK(n.class_name == "DeepseekV2MoE");
  // gate 81,920 + routed 64 · 3 · 1280 · 896 = 220,200,960 + shared 3 · 1280 · 1792 = 6,881,280.
  CHECK(params(child(n, "gate")) == 81920);
  CHECK(params(child(n, "experts")) == 220200960);
  CHECK(params(child(n, "shared_experts")) == 6881280);
  CHECK(params(n) == 227164160);
  CHECK(fwd(n, MM_METRIC_WEIGHT_BYTES) == 2 * 227164160.0);
}

TEST_CASE("DeepseekV2MoE: prefill of T = 913 tokens — hand-derived FLOPs, backward 2×") {
  const auto st = dsocr_test::prefill_stage(1, 913);
  const auto n = eval(make_layer<DeepseekV2MoE>(st.ctx(), DecoderConfig{}, dsocr_test::prefill_shape(1, 913)));
  const double t = 913;
  CHECK(tc(child(n, "gate")) == 2 * t * kH * kE);
  CHECK(tc(child(n, "experts")) == 3 * 2 * (t * kK) * kH * kI);
  CHECK(tc(child(n, "shared_experts")) == 3 * 2 * t * kH * kShared);
  CHECK(tc(n) == moe_tc(t));
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == moe_cuda(t));
  CHECK(bwd(n, MM_METRIC_TC_FLOPS) == 2 * tc(n));
  // Own glue (dispatch + combine): T·h + T·k·h + 4·T·k; T·k·h + T·k + 2·T·h + 4·T·k (2-byte activations).
  double children_io = 0;
  for (const auto& c : n.children) children_io += fwd(c, MM_METRIC_IO_BYTES);
  const double glue_io = 2 * (t * kH + t * kK * kH) + 4 * t * kK + 2 * (t * kK * kH + t * kK + 2 * t * kH) + 4 * t * kK;
  CHECK(fwd(n, MM_METRIC_IO_BYTES) - children_io == doctest::Approx(glue_io).epsilon(1e-12));
  // FLOPs and the linear parts scale with the tokens.
  const auto st2 = dsocr_test::prefill_stage(1, 1826);
  const auto n2 = eval(make_layer<DeepseekV2MoE>(st2.ctx(), DecoderConfig{}, dsocr_test::prefill_shape(1, 1826)));
  CHECK(tc(n2) == 2 * tc(n));
  CHECK(fwd(n2, MM_METRIC_CUDA_FLOPS) == 2 * fwd(n, MM_METRIC_CUDA_FLOPS));
}

TEST_CASE("DeepseekV2MoE: one decode step (T = batch) — hand-derived, backward 2×, exact ranges") {
  for (uint64_t batch : {1, 4}) {
    CAPTURE(batch);
    const auto st = dsocr_test::decode_stage(batch, 913, 511);
    const auto make = [&] {
      return make_layer<DeepseekV2MoE>(st.ctx(), DecoderConfig{}, dsocr_test::decode_shape(batch, 913));
    };
    const auto n = eval(make(), 0, 1);
    const double t = static_cast<double>(batch);
    CHECK(tc(n) == moe_tc(t));
    CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == moe_cuda(t));
    CHECK(bwd(n, MM_METRIC_TC_FLOPS) == 2 * tc(n));
    // The MoE does not depend on the context: N steps are N × one step.
    for (uint64_t steps : {1, 5, 64}) {
      const auto range = eval(make(), 0, steps);
      for (mm_metric_id id : {MM_METRIC_TC_FLOPS, MM_METRIC_CUDA_FLOPS, MM_METRIC_IO_BYTES}) {
        CHECK(fwd(range, id) == doctest::Approx(steps * fwd(n, id)).epsilon(1e-12));
      }
    }
  }
}

TEST_CASE("DeepseekV2MoE: decode reads a few experts' weights, a long prefill reads nearly all 64") {
  const DecoderConfig cfg;
  // Decode at batch 1: one token picks 6 experts, g = 64·(1 − 58/64) = 6 routed experts read.
  const auto ds = dsocr_test::decode_stage(1, 913, 1);
  const auto d = eval(make_layer<DeepseekV2MoE>(ds.ctx(), cfg, dsocr_test::decode_shape(1, 913)));
  const double g_decode = groups_read(child(d, "experts"), 1 * kK);
  CHECK(g_decode == doctest::Approx(6).epsilon(1e-9));
  CHECK(g_decode <= 6 + 1e-9);
  // Whole layer: routed + shared weights ≤ (6 + 2) experts' worth, plus the gate's h·E weights.
  const double expert_bytes = 2 * 3 * kH * kI;
  const double shared_bytes = mlp_weight_bytes(child(d, "shared_experts"), 1, kShared);
  CHECK(shared_bytes == 2 * expert_bytes);  // n_shared = 2 experts of 896, read whole at every step
  const auto& gate = child(d, "gate");
  // The gate Linear reads x (h), its weights, writes E logits; softmax reads and writes E; top-k reads E scores
  // and writes 6 weights and 6 ids.
  const double gate_bytes = fwd(gate, MM_METRIC_IO_BYTES) - (2 * kH + 2 * kE) - 4 * kE - (2 * kE + 6 * kK);
  CHECK(gate_bytes == 2 * kH * kE);
  CHECK(g_decode * expert_bytes + shared_bytes <= (6 + 2) * expert_bytes * (1 + 1e-12));
  CHECK(d.shapes.find("touched=6") != std::string::npos);

  // Prefill of 1000 tokens: g = 64·(1 − (58/64)^1000) > 63.9.
  const auto ps = dsocr_test::prefill_stage(1, 1000);
  const auto p = eval(make_layer<DeepseekV2MoE>(ps.ctx(), cfg, dsocr_test::prefill_shape(1, 1000)));
  const double g_prefill = groups_read(child(p, "experts"), 1000 * kK);
  CHECK(g_prefill > 63.9);
  CHECK(g_prefill <= 64 + 1e-9);
  CHECK(DeepseekV2MoE::experts_touched(64, 6, 1000) == doctest::Approx(64 * (1 - std::pow(58.0 / 64, 1000))));
  // In between: a batch of 8 decode tokens reads 64·(1 − (58/64)^8) ≈ 35.2 experts.
  const auto b8 = dsocr_test::decode_stage(8, 913, 1);
  const auto m8 = eval(make_layer<DeepseekV2MoE>(b8.ctx(), cfg, dsocr_test::decode_shape(8, 913)));
  CHECK(groups_read(child(m8, "experts"), 8 * kK) == doctest::Approx(64 * (1 - std::pow(58.0 / 64, 8))).epsilon(1e-9));
}

TEST_CASE("DeepseekV2MoE: variants through the configuration") {
  const auto st = dsocr_test::prefill_stage(1, 16);
  DecoderConfig no_shared;
  no_shared.n_shared_experts = 0;
  const auto n = eval(make_layer<DeepseekV2MoE>(st.ctx(), no_shared, dsocr_test::prefill_shape(1, 16)));
  CHECK(n.children.size() == 2);  // gate, experts
  CHECK(params(n) == 81920 + 220200960);
  // Without a shared output the combine is T·k·h products + T·(k − 1)·h sums.
  double children_cuda = 0;
  for (const auto& c : n.children) children_cuda += fwd(c, MM_METRIC_CUDA_FLOPS);
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) - children_cuda == 16 * kK * kH + 16 * (kK - 1) * kH);
  DecoderConfig big;  // DeepSeek-V2-like routing: 160 experts, top-2
  big.n_routed_experts = 160;
  big.num_experts_per_tok = 2;
  const auto b = eval(make_layer<DeepseekV2MoE>(st.ctx(), big, dsocr_test::prefill_shape(1, 16)));
  CHECK(params(child(b, "experts")) == 160 * 3 * kH * kI);
  CHECK(tc(child(b, "experts")) == 3 * 2 * (16 * 2) * kH * kI);
}
