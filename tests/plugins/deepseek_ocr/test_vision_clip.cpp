// CLIP-L (plugins/deepseek_ocr/vision): VitModel, CLIPVisionEmbeddings, NoTPTransformer(Block), NoTPAttention,
// NoTPFeedForward. Golden values: the checkpoint's exact parameter counts and FLOPs hand-derived from the shapes.
#include <doctest/doctest.h>

#include "dsocr_test_support.hpp"
#include "vision/clip_vision_embeddings.hpp"
#include "vision/notp_attention.hpp"
#include "vision/notp_feed_forward.hpp"
#include "vision/notp_transformer.hpp"
#include "vision/notp_transformer_block.hpp"
#include "vision/vit_model.hpp"

using namespace deepseek_ocr;
using dsocr_test::child;
using dsocr_test::params;
using dsocr_test::tc;
using modelmeter::core::ModuleNode;

namespace {

const VisionConfig kV{};
constexpr double h = 1024, F = 4096, H = 16, d = 64;  // CLIP-L: hidden, FFN, heads, head dim
constexpr double ba = 2, bw = 2;                      // bf16 everywhere

ModuleNode eval_vit(const ViewShape& view, bool shared = false) {
  const auto stage = dsocr_test::vision_stage();
  const modelmeter::StageContext ctx = shared ? stage.ctx().with_shared_weights() : stage.ctx();
  return dsocr_test::eval(modelmeter::make_layer<VitModel>(ctx, kV, view));
}

ModuleNode eval_clip_block(uint64_t images, uint64_t seq_len, mm_attention_impl impl = MM_ATTENTION_FLASH) {
  auto stage = dsocr_test::vision_stage();
  stage.raw.attention = impl;
  return dsocr_test::eval(modelmeter::make_layer<NoTPTransformerBlock>(stage.ctx(), kV, images, seq_len));
}

ModuleNode eval_embeddings(uint64_t images, uint64_t q) {
  const auto stage = dsocr_test::vision_stage();
  return dsocr_test::eval(modelmeter::make_layer<CLIPVisionEmbeddings>(stage.ctx(), kV, images, q));
}

}  // namespace

TEST_CASE("CLIP-L VitModel: the checkpoint's 303,177,728 parameters at every view size") {
  CHECK(params(eval_vit({1, 1024})) == 303177728);
  CHECK(params(eval_vit({6, 640})) == 303177728);
  const ModuleNode v = eval_vit({1, 1024});
  // embeddings 1024 (CLS) + 602,112 (unused patch conv 3·1024·14²) + 263,168 (257 positions); pre_layrnorm 2,048;
  // 24 × 12,596,224.
  CHECK(params(child(v, "embeddings")) == 1024 + 602112 + 257 * 1024);
  CHECK(params(child(v, "pre_layrnorm")) == 2048);
  const ModuleNode& stack = child(v, "transformer");
  const ModuleNode& layers = child(stack, "layers.{0..23}");
  CHECK(layers.repeat == 24);
  CHECK(params(layers) == 12596224);
  CHECK(params(eval_clip_block(1, 257)) == 12596224);
  // Attention 4,198,400, MLP 8,393,728, two norms 4,096.
  CHECK(params(child(layers, "self_attn")) == 4198400);
  CHECK(params(child(layers, "mlp")) == 8393728);
}

TEST_CASE("CLIP block at 1024: N = 1 + 16² = 257 tokens, TC FLOPs hand-derived") {
  const double N = 257;
  const double qkv = 2 * N * h * 3 * h;       // 1,616,904,192
  const double sdpa = 2 * H * N * N * 2 * d;  // 270,536,704 (QKᵀ and PV, non-causal)
  const double out = 2 * N * h * h;           // 538,968,064
  const double mlp = 2 * 2 * N * h * F;       // 4,311,744,512
  const ModuleNode b = eval_clip_block(1, 257);
  const ModuleNode& attn = child(b, "self_attn");
  CHECK(tc(child(attn, "qkv_proj")) == qkv);
  CHECK(tc(child(attn, "sdpa")) == sdpa);
  CHECK(tc(child(attn, "out_proj")) == out);
  CHECK(tc(child(b, "mlp")) == mlp);
  CHECK(tc(b) == 6738153472.0);
  // CUDA: two LayerNorms (7 per element), two residual adds, biases 3h + h + F + h per token, softmax 6 per score,
  // quick-GELU 5 per element.
  CHECK(dsocr_test::fwd(b, MM_METRIC_CUDA_FLOPS) ==
        2 * 7 * N * h + 2 * N * h + N * (3 * h + h + F + h) + 6 * H * N * N + 5 * N * F);
  // The whole model: 24 blocks, nothing else on Tensor Cores (the patch conv never runs).
  const ModuleNode v = eval_vit({1, 1024});
  CHECK(tc(v) == 24 * 6738153472.0);
  CHECK(tc(child(v, "embeddings")) == 0);
}

TEST_CASE("CLIP at a 640 tile: N = 1 + 10² = 101 — images scale every flow") {
  const double N = 101;
  const double block = 2 * N * h * 3 * h + 2 * H * N * N * 2 * d + 2 * N * h * h + 4 * N * h * F;
  CHECK(tc(eval_clip_block(1, 101)) == block);
  CHECK(tc(eval_vit({6, 640})) == doctest::Approx(6 * 24 * block));
}

TEST_CASE("CLIPVisionEmbeddings glue: CLS concat, position add, the 16×16 → 10×10 resize") {
  // 1024 view: the table is used as is; CUDA = the position adds B·N·h.
  const ModuleNode e1024 = eval_embeddings(2, 16);
  CHECK(dsocr_test::fwd(e1024, MM_METRIC_CUDA_FLOPS) == 2 * 257 * h);
  CHECK(tc(e1024) == 0);
  // Bytes: lookup of the 257 rows (+ int64 ids), cat(CLS, patches), + positions.
  const double lookup = 2 * bw * 257 * h + 8 * 257;
  const double cat = bw * h + ba * 2 * 256 * h + ba * 2 * 257 * h;  // CLS read once (broadcast)
  const double add = ba * 2 * 257 * h + bw * 257 * h + ba * 2 * 257 * h;
  CHECK(dsocr_test::fwd(e1024, MM_METRIC_IO_BYTES) == lookup + cat + add);
  // 640 tile: taps per output of the antialiased bicubic 16 → 10 (scale 1.6, support 3.2): 4,6,6,7,6,6,7,6,6,4 →
  // S = 58; FLOPs 2·h·S·(S + 10) = 8,077,312, plus the adds B·101·h.
  const ModuleNode e640 = eval_embeddings(1, 10);
  CHECK(dsocr_test::fwd(e640, MM_METRIC_CUDA_FLOPS) == 2 * h * 58 * (58 + 10) + 101 * h);
  // Backward: Σ over images for the positions and the CLS, the resize adjoint 3·h·S², the lookup's scatter-add.
  CHECK(dsocr_test::bwd(e640, MM_METRIC_CUDA_FLOPS) == 101 * h + h + 3 * h * 58 * 58 + 257 * h);
  // The unused patch convolution: parameters only.
  CHECK(params(e640) == 866304);
  CHECK(dsocr_test::fwd(e640, MM_METRIC_WEIGHT_BYTES) == bw * 866304);
}

TEST_CASE("CLIP backward Tensor-Core FLOPs: Linear 2×, flash attention 2.5×, eager 2×") {
  const ModuleNode b = eval_clip_block(1, 257);
  const double sdpa = tc(child(child(b, "self_attn"), "sdpa"));
  CHECK(dsocr_test::bwd(b, MM_METRIC_TC_FLOPS) == 2 * (tc(b) - sdpa) + 2.5 * sdpa);
  CHECK(dsocr_test::bwd(b, MM_METRIC_TC_FLOPS) == 2 * 6467616768.0 + 2.5 * 270536704.0);
  const ModuleNode e = eval_clip_block(1, 257, MM_ATTENTION_EAGER);
  CHECK(dsocr_test::bwd(e, MM_METRIC_TC_FLOPS) == 2 * tc(e));
}

TEST_CASE("shared weights: the tiles' CLIP reports no parameters but the same work") {
  const ModuleNode owner = eval_vit({4, 640}), shared = eval_vit({4, 640}, true);
  CHECK(params(shared) == 0);
  CHECK(dsocr_test::fwd(shared, MM_METRIC_WEIGHT_BYTES) == 0);
  CHECK(params(child(shared, "embeddings")) == 0);  // CLS, patch conv and positions too
  CHECK(tc(shared) == tc(owner));
  CHECK(dsocr_test::fwd(shared, MM_METRIC_IO_BYTES) == dsocr_test::fwd(owner, MM_METRIC_IO_BYTES));
}

TEST_CASE("CLIP inputs that cannot run are refused") {
  auto stage = dsocr_test::vision_stage();
  CHECK_THROWS_AS(modelmeter::make_layer<VitModel>(stage.ctx(), kV, ViewShape{1, 1000}), modelmeter::InvalidArgument);
  VisionConfig bad = kV;
  bad.clip_positions = 250;  // not 1 + s²
  CHECK_THROWS_AS(modelmeter::make_layer<CLIPVisionEmbeddings>(stage.ctx(), bad, 1, 16), modelmeter::InvalidArgument);
  bad = kV;
  bad.clip_heads = 3;  // does not divide 1024
  CHECK_THROWS_AS(modelmeter::make_layer<NoTPAttention>(stage.ctx(), bad, 1, 257), modelmeter::InvalidArgument);
}
