// The training-step model (core/src/training, docs/training.md) on GPT blocks built from core's ops through the
// SDK: Narayanan et al. 2021's training FLOPs and Korthikanti et al. 2022's activation memory, exactly.
#include <doctest/doctest.h>

#include <cmath>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/training.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "support/layer_harness.hpp"

namespace {

namespace mm = modelmeter;
namespace tr = modelmeter::core::training;

struct Gpt {
  uint64_t B, s, h, a, l, V;
  bool fused_qkv = true;  // one Linear h → 3h (GPT-2's c_attn), or q, k, v in the fusion group "qkv"
};

inline constexpr char kDoc[] = "# test layer\n";

// A GPT block (Megatron's): LN, QKV, causal attention, output projection, residual, LN, MLP h → 4h → h, residual.
class GptBlock final : public mm::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(GptBlock, MM_CATEGORY_COMPOSITE, kDoc)
  GptBlock(const mm::StageContext& ctx, const Gpt& g) {
    namespace ops = mm::ops;
    const double T = static_cast<double>(g.B * g.s);
    add_child("ln_1", ops::layer_norm(ctx, T, g.h));
    if (g.fused_qkv) {
      add_child("c_attn", ops::linear(ctx, T, g.h, 3 * g.h, true));
    } else {
      for (const char* n : {"q", "k", "v"}) add_child(n, ops::linear(ctx, T, g.h, g.h, true), 1, {}, "qkv");
    }
    ops::AttentionShape at;
    at.batch = g.B;
    at.heads = g.a;
    at.head_dim = g.h / g.a;
    at.query_len = g.s;
    at.kv_len = g.s;
    at.causal = true;
    at.impl = ctx.attention();
    add_child("attn", ops::attention(ctx, at));
    add_child("c_proj", ops::linear(ctx, T, g.h, g.h, true));
    add_child("residual_1", ops::add(ctx, T, g.h));
    add_child("ln_2", ops::layer_norm(ctx, T, g.h));
    add_child("c_fc", ops::linear(ctx, T, g.h, 4 * g.h, true));
    add_child("gelu", ops::gelu(ctx, T, 4 * g.h));
    add_child("c_proj_mlp", ops::linear(ctx, T, 4 * g.h, g.h, true));
    add_child("residual_2", ops::add(ctx, T, g.h));
  }
};

// Embedding lookup, l blocks, final LayerNorm, LM head on every position (training computes every logit).
class GptModel final : public mm::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(GptModel, MM_CATEGORY_COMPOSITE, kDoc)
  GptModel(const mm::StageContext& ctx, const Gpt& g) {
    namespace ops = mm::ops;
    const double T = static_cast<double>(g.B * g.s);
    add_child("wte", ops::embedding(ctx, T, g.V, g.h));
    add_child("h", mm::make_layer<GptBlock>(ctx, g), static_cast<double>(g.l));
    add_child("ln_f", ops::layer_norm(ctx, T, g.h));
    add_child("lm_head", ops::linear(ctx, T, g.h, g.V, false));
  }
};

tr::Step step(const Gpt& g, mm_attention_impl impl, tr::Recompute r, bool dropout,
              mm::core::RooflineRates rates = {989.4e12, 66.9e12, 3.35e12}) {
  const mm_layer_test::Stage st(MM_STAGE_PREFILL, g.B, g.s, g.s, 1, impl);
  const mm::LayerPtr root = mm::make_layer<GptModel>(st.ctx(), g);
  const auto flat = mm::core::flatten_layer(root.get(), "test");
  tr::Options o;
  o.recompute = r;
  o.dropout = dropout;
  return tr::training_step(*flat.tree, flat.own, rates, o);
}

// GPT-3 1.3B's shapes (h = 2048, a = 16, s = 2048), 4 layers, batch 2, GPT-2's vocabulary.
constexpr Gpt kGpt{2, 2048, 2048, 16, 4, 50257};

}  // namespace

TEST_CASE("Narayanan 2021 training FLOPs without recomputation: 72 B s l h^2 (1 + s/6h + V/12lh)") {
  const Gpt g = kGpt;
  const double B = g.B, s = g.s, h = g.h, l = g.l, V = g.V;
  const tr::Step st = step(g, MM_ATTENTION_EAGER, tr::Recompute::None, false);
  // Expanded: 72·B·s·l·h² + 12·B·s²·l·h + 6·B·s·h·V (every product an exact integer in a double).
  const double expanded = 72 * B * s * l * h * h + 12 * B * s * s * l * h + 6 * B * s * h * V;
  CHECK(st.model_flops == expanded);
  CHECK(st.hardware_flops == expanded);  // eager attention: every backward matmul is twice its forward
  CHECK(st.model_flops ==
        doctest::Approx(72 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h))).epsilon(1e-14));
  CHECK(st.recompute.tc_flops == 0);
  // Separate q, k, v projections: the same FLOPs.
  Gpt split = g;
  split.fused_qkv = false;
  CHECK(step(split, MM_ATTENTION_EAGER, tr::Recompute::None, false).model_flops == expanded);
}

TEST_CASE("Narayanan 2021 training FLOPs with full recomputation: 96 B s l h^2 (1 + s/6h + V/16lh)") {
  const Gpt g = kGpt;
  const double B = g.B, s = g.s, h = g.h, l = g.l, V = g.V;
  const tr::Step st = step(g, MM_ATTENTION_EAGER, tr::Recompute::Full, false);
  const double expanded = 96 * B * s * l * h * h + 16 * B * s * s * l * h + 6 * B * s * h * V;
  CHECK(st.hardware_flops == expanded);
  CHECK(st.hardware_flops ==
        doctest::Approx(96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h))).epsilon(1e-14));
  // The recomputed forward is the layers' (24·B·s·h² + 4·B·s²·h each), not the LM head's; MFU excludes it.
  CHECK(st.recompute.tc_flops == l * (24 * B * s * h * h + 4 * B * s * s * h));
  CHECK(st.model_flops == 72 * B * s * l * h * h + 12 * B * s * s * l * h + 6 * B * s * h * V);
  // Selective recomputation runs the attention core's forward again: 4·B·s²·h per layer.
  const tr::Step sel = step(g, MM_ATTENTION_EAGER, tr::Recompute::Selective, false);
  CHECK(sel.recompute.tc_flops == l * 4 * B * s * s * h);
  // Flash attention recomputes its scores inside its own backward: selective adds nothing on top.
  CHECK(step(g, MM_ATTENTION_FLASH, tr::Recompute::Selective, false).recompute.tc_flops == 0);
}

TEST_CASE("MFU counts model FLOPs only") {
  const Gpt g = kGpt;
  // Tensor cores at half their peak; CUDA cores and memory so fast that only matmuls take time.
  const double peak = 1000e12;
  const mm::core::RooflineRates rates{0.5 * peak, 1e40, 1e40};
  const tr::Step none = step(g, MM_ATTENTION_EAGER, tr::Recompute::None, false, rates);
  CHECK(none.time_s == doctest::Approx(none.hardware_flops / (0.5 * peak)).epsilon(1e-12));
  CHECK(none.mfu(peak) == doctest::Approx(0.5).epsilon(1e-12));
  const tr::Step full = step(g, MM_ATTENTION_EAGER, tr::Recompute::Full, false, rates);
  const double B = g.B, s = g.s, h = g.h, l = g.l, V = g.V;
  const double ratio = (72 * l * h * h + 12 * s * l * h + 6 * h * V) / (96 * l * h * h + 16 * s * l * h + 6 * h * V);
  CHECK(full.mfu(peak) == doctest::Approx(0.5 * ratio).epsilon(1e-12));
  (void)B;
}

TEST_CASE("Korthikanti 2022 activation memory per layer: sbh(34 + 5as/h) then 34sbh then 2sbh") {
  const Gpt g = kGpt;
  const double b = g.B, s = g.s, h = g.h, a = g.a, l = g.l;
  const double sbh = s * b * h;
  const double per_layer_none = sbh * (34 + 5 * a * s / h);  // GPT block, dropout, eager attention, 16-bit
  const double outside = 2 * sbh + 2 * sbh;                  // the final LayerNorm's and the LM head's inputs
  const tr::Step none = step(g, MM_ATTENTION_EAGER, tr::Recompute::None, true);
  CHECK(none.layers == l);
  CHECK(none.activation_bytes == l * per_layer_none + outside);
  const tr::Step sel = step(g, MM_ATTENTION_EAGER, tr::Recompute::Selective, true);
  CHECK(sel.activation_bytes == l * 34 * sbh + outside);
  const tr::Step full = step(g, MM_ATTENTION_EAGER, tr::Recompute::Full, true);
  CHECK(full.recompute_working_bytes == per_layer_none);  // one layer rebuilt while its backward runs
  CHECK(full.activation_bytes == l * 2 * sbh + outside + per_layer_none);
  // Without dropout (the core ops alone): 32·sbh + 2·a·s²·b per layer — no masks, no dropped probabilities.
  const tr::Step plain = step(g, MM_ATTENTION_EAGER, tr::Recompute::None, false);
  CHECK(plain.activation_bytes == l * (32 * sbh + 2 * a * s * s * b) + outside);
  // q, k, v as three Linears of one fusion group keep their common input once.
  Gpt split = g;
  split.fused_qkv = false;
  CHECK(step(split, MM_ATTENTION_EAGER, tr::Recompute::None, true).activation_bytes == l * per_layer_none + outside);
  // Flash attention keeps Q, K, V and a 4-byte log-sum-exp per row and head; no s² tensor.
  const tr::Step flash = step(g, MM_ATTENTION_FLASH, tr::Recompute::None, false);
  CHECK(flash.activation_bytes == l * (32 * sbh + 4 * b * a * s) + outside);
}

TEST_CASE("weights gradients and Adam states: 16 bytes per parameter with bf16 weights") {
  const Gpt g = kGpt;
  const double h = g.h, l = g.l, V = g.V;
  // wte V·h; per layer 12h² + 13h (QKV 3h² + 3h, proj h² + h, MLP 8h² + 5h, two LayerNorms 4h); ln_f 2h; head h·V.
  const double P = V * h + l * (12 * h * h + 13 * h) + 2 * h + h * V;
  const tr::Step st = step(g, MM_ATTENTION_FLASH, tr::Recompute::None, false);
  CHECK(st.parameters == P);
  CHECK(st.weight_bytes == 2 * P);
  CHECK(st.gradient_bytes == 2 * P);
  CHECK(st.optimizer_bytes == 12 * P);  // fp32 master (4) + m and v (8)
  CHECK(st.weight_bytes + st.gradient_bytes + st.optimizer_bytes == 16 * P);
  // The update reads gradients, master and moments and writes master, moments and weights: 2 + 24 + 2 bytes.
  CHECK(st.optimizer.io_bytes == 28 * P);
  CHECK(st.optimizer.cuda_flops == 12 * P);
  // Settable: SGD with momentum and no master copy, 2 + 2 + 4 bytes per parameter.
  const auto sgd = tr::optimizer_named("sgd_momentum", false);
  REQUIRE(sgd.has_value());
  CHECK(sgd->master_weight_bytes + sgd->state_bytes == 4);
  CHECK_FALSE(tr::optimizer_named("lion", true).has_value());
  CHECK(tr::parse_recompute("selective") == tr::Recompute::Selective);
  CHECK_FALSE(tr::parse_recompute("partial").has_value());
}

TEST_CASE("ZeRO memory per GPU: Rajbhandari 2020 Figure 1 with 7.5B parameters on 64 GPUs and K = 12") {
  const double psi = 7.5e9, nd = 64, K = 12;
  // Baseline (2 + 2 + K)Ψ = 120 GB; P_os 2Ψ + 2Ψ + KΨ/Nd = 31.4 GB; P_os+g 2Ψ + (2 + K)Ψ/Nd = 16.6 GB;
  // P_os+g+p (2 + 2 + K)Ψ/Nd = 1.88 GB. Every figure below is an exact double.
  const double expected[] = {(2 + 2 + K) * psi, 2 * psi + 2 * psi + K * psi / nd, 2 * psi + (2 + K) * psi / nd,
                             (2 + 2 + K) * psi / nd};
  const double paper_gb[] = {120e9, 31.40625e9, 16.640625e9, 1.875e9};
  for (int zero = 0; zero <= 3; ++zero) {
    CAPTURE(zero);
    const tr::ZeroMemory z = tr::zero_memory(2 * psi, 2 * psi, K * psi, nd, zero);
    CHECK(z.total() == expected[zero]);
    CHECK(z.total() == paper_gb[zero]);
  }
  const tr::ZeroMemory z3 = tr::zero_memory(2 * psi, 2 * psi, K * psi, nd, 3);
  CHECK(z3.weights == 2 * psi / nd);
  CHECK(z3.gradients == 2 * psi / nd);
  CHECK(z3.optimizer == K * psi / nd);
  // One GPU: nothing to shard.
  CHECK(tr::zero_memory(2 * psi, 2 * psi, K * psi, 1, 3).total() == 16 * psi);
}

TEST_CASE("ZeRO communication per GPU: 2(g-1)/g 2Psi for stages 0 to 2 and 3(g-1)/g 2Psi for stage 3") {
  namespace core = modelmeter::core;
  const double psi = 7.5e9, g = 64, bf16 = 2;
  for (int zero = 0; zero <= 3; ++zero) {
    CAPTURE(zero);
    double sent = 0;
    for (const tr::ZeroCollective& c : tr::zero_collectives(bf16 * psi, bf16 * psi, zero)) {
      sent += core::collective_bytes(c.kind, c.bytes, g);
    }
    CHECK(sent == (zero < 3 ? 2 : 3) * (g - 1) / g * psi * bf16);
  }
  CHECK(tr::zero_collectives(1, 1, 1).size() == 1);
  CHECK(tr::zero_collectives(1, 1, 1).front().kind == core::Collective::AllReduce);
  CHECK(tr::zero_collectives(1, 1, 2).front().kind == core::Collective::ReduceScatter);
  CHECK(tr::zero_collectives(1, 1, 3).size() == 3);
}

TEST_CASE("data parallelism on a GPT step: shards divide exactly and the collectives join the step time") {
  namespace core = modelmeter::core;
  const Gpt g = kGpt;
  const double h = g.h, V = g.V;
  core::Hardware hw;
  hw.id = "test";
  hw.gpus_per_node = 8;
  hw.link_bandwidth = 100e9;
  hw.link_latency = 1e-6;
  const tr::Step one = step(g, MM_ATTENTION_FLASH, tr::Recompute::None, false);
  // The largest unit: the embedding (V·h bf16 weights) and the head (h·V) beat a block (12h² + 13h).
  CHECK(one.largest_unit_weight_bytes == 2 * V * h);
  {  // dp = 1, ZeRO 0: unchanged
    tr::Step s = one;
    tr::apply_data_parallel(s, hw, 1, 1, 0);
    CHECK(s.time_s == one.time_s);
    CHECK(s.total_bytes() == one.total_bytes());
    CHECK(s.comm_bytes == 0);
  }
  const double dp = 4;
  for (int zero = 0; zero <= 3; ++zero) {
    CAPTURE(zero);
    tr::Step s = one;
    tr::apply_data_parallel(s, hw, dp, 1, zero);
    CHECK(s.optimizer_bytes == (zero >= 1 ? one.optimizer_bytes / dp : one.optimizer_bytes));
    CHECK(s.gradient_bytes == (zero >= 2 ? one.gradient_bytes / dp : one.gradient_bytes));
    CHECK(s.weight_bytes == (zero >= 3 ? one.weight_bytes / dp : one.weight_bytes));
    CHECK(s.gathered_weight_bytes == (zero >= 3 ? 2 * V * h * 3 / 4 : 0));
    CHECK(s.activation_bytes == one.activation_bytes);
    const double W = one.weight_bytes;  // = gradient bytes (bf16)
    CHECK(s.comm_bytes == (zero < 3 ? 2 : 3) * 3 / dp * W);
    // Ring inside one node of 4: all-reduce 2·3 latencies + 2·3/4·S / B; reduce-scatter and all-gather half that.
    const double ring = 3 * 1e-6 + 3.0 / 4 * W / 100e9;
    CHECK(s.comm_time_s == doctest::Approx((zero < 3 ? 2 : 3) * ring).epsilon(1e-12));
    CHECK(s.optimizer.time_s == (zero >= 1 ? one.optimizer.time_s / dp : one.optimizer.time_s));
    CHECK(s.time_s == doctest::Approx(s.forward.time_s + s.backward.time_s + s.optimizer.time_s + s.comm_time_s));
  }
  // Across nodes the profile needs a network.
  tr::Step s = one;
  CHECK_THROWS_AS(tr::apply_data_parallel(s, hw, 16, 1, 1), core::InputError);
}
