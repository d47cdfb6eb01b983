// SAM ViT-B (plugins/deepseek_ocr/vision): ImageEncoderViT, Block, Attention, MLPBlock, LayerNorm2d, PatchEmbed.
// Golden values: the checkpoint's exact parameter counts, FLOPs hand-derived from the shapes, view-size laws.
#include <doctest/doctest.h>

#include "dsocr_test_support.hpp"
#include "vision/attention.hpp"
#include "vision/block.hpp"
#include "vision/image_encoder_vit.hpp"
#include "vision/layer_norm2d.hpp"
#include "vision/mlp_block.hpp"
#include "vision/patch_embed.hpp"

using namespace deepseek_ocr;
using dsocr_test::child;
using dsocr_test::params;
using dsocr_test::tc;
using modelmeter::core::ModuleNode;

namespace {

const VisionConfig kV{};
constexpr double D = 768, F = 3072, H = 12, C = 64;  // SAM ViT-B: dim, MLP, heads, head dim
constexpr double ba = 2, bw = 2;                     // bf16 everywhere (dsocr_test::Stage)

ModuleNode eval_block(const ViewShape& view, uint64_t window, mm_attention_impl impl = MM_ATTENTION_FLASH) {
  auto stage = dsocr_test::vision_stage();
  stage.raw.attention = impl;
  return dsocr_test::eval(modelmeter::make_layer<Block>(stage.ctx(), kV, view, window));
}

ModuleNode eval_encoder(const ViewShape& view, bool shared = false) {
  const auto stage = dsocr_test::vision_stage();
  const modelmeter::StageContext ctx = shared ? stage.ctx().with_shared_weights() : stage.ctx();
  return dsocr_test::eval(modelmeter::make_layer<ImageEncoderViT>(ctx, kV, view));
}

// A node's own (glue) value of an additive metric: its total minus its children's × repeat.
double own(const ModuleNode& n, mm_metric_id id, bool backward = false) {
  double v = backward ? dsocr_test::bwd(n, id) : dsocr_test::fwd(n, id);
  for (const auto& c : n.children) v -= c.repeat * (backward ? dsocr_test::bwd(c, id) : dsocr_test::fwd(c, id));
  return v;
}

}  // namespace

TEST_CASE("SAM ImageEncoderViT: the checkpoint's 95,569,152 parameters at every view size") {
  for (uint64_t size : {1024, 640, 512, 1280}) {
    CAPTURE(size);
    CHECK(params(eval_encoder({1, size})) == 95569152);
  }
  // 590,592 (patch) + 3,145,728 (pos_embed) + 8 × 7,091,328 + 4 × 7,104,128 + neck 196,608 + 512 + 589,824 + 512
  // + net_2 1,179,648 + net_3 4,718,592.
  const ModuleNode e = eval_encoder({1, 1024});
  CHECK(params(child(e, "patch_embed")) == 590592);
  CHECK(own(e, MM_METRIC_PARAMETERS) == 64 * 64 * 768);
  CHECK(child(e, "blocks.{0,1,3,4,6,7,9,10}").repeat == 8);
  CHECK(child(e, "blocks.{2,5,8,11}").repeat == 4);
  CHECK(params(child(e, "neck.0")) == 768 * 256);
  CHECK(params(child(e, "neck.1")) == 512);
  CHECK(params(child(e, "neck.2")) == 256 * 256 * 9);
  CHECK(params(child(e, "neck.3")) == 512);
  CHECK(params(child(e, "net_2")) == 256 * 512 * 9);
  CHECK(params(child(e, "net_3")) == 512 * 1024 * 9);
  // Output 1024 × 16 × 16: net_3 runs 3×3 stride 2 on the 32×32 map of net_2.
  CHECK(tc(child(e, "net_3")) == 2.0 * 16 * 16 * 1024 * 512 * 9);
  CHECK(tc(child(e, "net_2")) == 2.0 * 32 * 32 * 512 * 256 * 9);
}

TEST_CASE("SAM Block parameters: windowed 7,091,328, global 7,104,128 (rel-pos tables 2·27·64 vs 2·127·64)") {
  CHECK(params(eval_block({1, 1024}, 14)) == 7091328);
  CHECK(params(eval_block({1, 1024}, 0)) == 7104128);
  // The global tables stay (2·64 − 1) × 64 at a 640 view (resized at run time, not in the weights).
  CHECK(params(eval_block({1, 640}, 0)) == 7104128);
  CHECK(params(eval_block({1, 640}, 14)) == 7091328);
}

TEST_CASE("windowed SAM Block at 1024: TC FLOPs hand-derived from the padded windows") {
  // g = 64 → padded 70 = 5 windows per side: 25 windows of n = 14² = 196 tokens, P = 25·196 = 4,900 padded tokens.
  const double P = 25 * 196, T = 4096, W = 25, n = 196, S = 14;
  const double qkv = 2 * P * D * 3 * D;             // 17,340,825,600
  const double sdpa = 2 * W * H * n * n * 2 * C;    // 2,950,348,800 (QKᵀ and PV)
  const double relpos = 2 * 2 * W * H * n * S * C;  // 210,739,200: einsums bhwc,hkc->bhwk and bhwc,wkc->bhwk
  const double proj = 2 * P * D * D;                // 5,780,275,200
  const double mlp = 2 * 2 * T * D * F;             // 38,654,705,664 (on the 4,096 real tokens)
  const ModuleNode b = eval_block({1, 1024}, 14);
  const ModuleNode& attn = child(b, "attn");
  CHECK(tc(child(attn, "qkv")) == qkv);
  CHECK(tc(child(attn, "sdpa")) == sdpa);
  CHECK(own(attn, MM_METRIC_TC_FLOPS) == relpos);
  CHECK(tc(child(attn, "proj")) == proj);
  CHECK(tc(child(b, "mlp")) == mlp);
  CHECK(tc(b) == qkv + sdpa + relpos + proj + mlp);
  CHECK(tc(b) == 64936894464.0);

  // CUDA FLOPs of the attention: qkv and proj biases, softmax 6 per score, the bias matrix built (1 add per entry)
  // and added to the scores inside SDPA (1 more).
  CHECK(dsocr_test::fwd(attn, MM_METRIC_CUDA_FLOPS) == P * 3 * D + 6 * W * H * n * n + 2 * W * H * n * n + P * D);
}

TEST_CASE("global SAM Block at 1024: attention over the whole 64×64 grid") {
  const double T = 4096, S = 64;
  const double qkv = 2 * T * D * 3 * D;         // 14,495,514,624
  const double sdpa = 2 * H * T * T * 2 * C;    // 51,539,607,552
  const double relpos = 2 * 2 * H * T * S * C;  // 805,306,368
  const double proj = 2 * T * D * D, mlp = 4 * T * D * F;
  const ModuleNode b = eval_block({1, 1024}, 0);
  CHECK(own(child(b, "attn"), MM_METRIC_TC_FLOPS) == relpos);
  CHECK(tc(b) == qkv + sdpa + relpos + proj + mlp);
  CHECK(tc(b) == 110326972416.0);
  // No window glue in a global block.
  CHECK(own(b, MM_METRIC_IO_BYTES) == 0);
}

TEST_CASE("window glue: pad, partition, unpartition, crop bytes") {
  // io = ba·B·D·(3g² + gp² + 4·gp²): pad (g² in, gp² out), two contiguous copies of gp², crop (g² in and out).
  CHECK(own(eval_block({1, 1024}, 14), MM_METRIC_IO_BYTES) == ba * D * (3 * 4096 + 4900 + 4 * 4900));  // 56,506,368
  CHECK(own(eval_block({1, 640}, 14), MM_METRIC_IO_BYTES) == ba * D * (3 * 1600 + 1764 + 4 * 1764));   // 20,920,320
  CHECK(own(eval_block({3, 640}, 14), MM_METRIC_IO_BYTES) == 3 * ba * D * (3 * 1600 + 1764 + 4 * 1764));
  // Backward moves the same bytes back; no arithmetic either way.
  const ModuleNode b = eval_block({1, 1024}, 14);
  CHECK(own(b, MM_METRIC_IO_BYTES, true) == own(b, MM_METRIC_IO_BYTES));
  CHECK(own(b, MM_METRIC_CUDA_FLOPS) == 0);
  CHECK(own(b, MM_METRIC_TC_FLOPS, true) == 0);
  // At 640: 9 windows of 196 on the 42×42 padded grid.
  CHECK(tc(child(child(eval_block({1, 640}, 14), "attn"), "qkv")) == 2.0 * 9 * 196 * D * 3 * D);
}

TEST_CASE("Attention glue bytes, windowed at 1024 (flash): gathers, head split, einsums, bias") {
  const double W = 25, n = 196, S = 14, q = W * n * D, rel = W * H * n * S, E = W * H * n * n;
  const double gather = 2 * (bw * n * C + 8 * n) + 2 * ba * n * C;  // Rh, Rw from the 27-row tables
  const double split = 2 * 3 * ba * q;                              // reshape of the permuted qkv (W > 1)
  const double einsum = 2 * (ba * q + ba * n * C) + 2 * ba * rel;   // read q, R; write rel_h, rel_w
  const double bias = 2 * ba * rel + ba * E;                        // rel_h + rel_w → W·H·n² bias
  const double mask = ba * E;                                       // SDPA reads the bias once (flash)
  const ModuleNode attn = child(eval_block({1, 1024}, 14), "attn");
  CHECK(own(attn, MM_METRIC_IO_BYTES) == doctest::Approx(gather + split + einsum + bias + mask).epsilon(1e-12));
  CHECK(own(attn, MM_METRIC_CUDA_FLOPS) == 2 * E);
  CHECK(own(attn, MM_METRIC_PARAMETERS) == 2 * 27 * 64);
  // Under eager the bias add also reads and writes the materialised scores.
  const ModuleNode eager = child(eval_block({1, 1024}, 14, MM_ATTENTION_EAGER), "attn");
  CHECK(own(eager, MM_METRIC_IO_BYTES) - own(attn, MM_METRIC_IO_BYTES) == doctest::Approx(2 * ba * E));
  // One image, one global grid: the head split is a view (no copy).
  const ModuleNode global = child(eval_block({1, 1024}, 0), "attn");
  const double Wg = 1, ng = 4096, Sg = 64, qg = Wg * ng * D, relg = Wg * H * ng * Sg, Eg = Wg * H * ng * ng;
  CHECK(own(global, MM_METRIC_IO_BYTES) ==
        doctest::Approx(2 * (bw * ng * C + 8 * ng) + 2 * ba * ng * C + 2 * (ba * qg + ba * ng * C) + 2 * ba * relg +
                        2 * ba * relg + ba * Eg + ba * Eg)
            .epsilon(1e-12));
}

TEST_CASE("global Attention at 640: the 127-row tables are linearly resized to 79 rows") {
  // 2 tables × 79 rows × 64 channels × 3 FLOPs (w0·x0 + w1·x1), plus the bias (1600² per head) built and added.
  const ModuleNode attn = child(eval_block({1, 640}, 0), "attn");
  const double E = H * 1600.0 * 1600.0;
  CHECK(own(attn, MM_METRIC_CUDA_FLOPS) == 2 * 3 * 79 * 64 + 2 * E);
  CHECK(own(attn, MM_METRIC_TC_FLOPS) == 2 * 2 * H * 1600 * 40 * C);
  CHECK(own(attn, MM_METRIC_PARAMETERS) == 2 * 127 * 64);
}

TEST_CASE("absolute position embedding: bicubic antialiased resize 64×64 → 40×40 at 640") {
  // Taps per output along one axis (scale 1.6, support 3.2): 4,6,6,7,6,6,7,6,7,6,6,7,6,7,6,6,7,6,7,6,
  // 6,7,6,7,6,6,7,6,7,6,6,7,6,7,6,6,7,6,6,4 → S = 250. FLOPs 2·D·S·(S + 40) = 111,360,000; then the add, B·g²·D.
  const ModuleNode e640 = eval_encoder({1, 640});
  CHECK(own(e640, MM_METRIC_CUDA_FLOPS) == 2 * D * 250 * (250 + 40) + 1600 * D);
  CHECK(own(e640, MM_METRIC_TC_FLOPS) == 0);
  // At 1024 the table is used as is: only the add; its traffic reads x and the table, writes x + pos.
  const ModuleNode e1024 = eval_encoder({2, 1024});
  CHECK(own(e1024, MM_METRIC_CUDA_FLOPS) == 2 * 4096 * D);
  CHECK(own(e1024, MM_METRIC_IO_BYTES) == ba * 2 * 4096 * D + bw * 4096 * D + ba * 2 * 4096 * D);
}

TEST_CASE("view-size law: SAM at 640 vs 1024, linear parts scale with the tokens g²") {
  const ModuleNode a = eval_encoder({1, 1024}), b = eval_encoder({1, 640});
  const double ratio = 1600.0 / 4096.0;  // 40² / 64²
  CHECK(tc(child(b, "patch_embed")) == doctest::Approx(ratio * tc(child(a, "patch_embed"))));
  for (const char* conv : {"neck.0", "neck.2", "net_2", "net_3"}) {
    CAPTURE(conv);
    CHECK(tc(child(b, conv)) == doctest::Approx(ratio * tc(child(a, conv))));
  }
  for (const char* group : {"blocks.{0,1,3,4,6,7,9,10}", "blocks.{2,5,8,11}"}) {
    CAPTURE(group);
    CHECK(tc(child(child(b, group), "mlp")) == doctest::Approx(ratio * tc(child(child(a, group), "mlp"))));
  }
  // Windowed attention follows the padded tokens (42² vs 70²), global attention's scores the square of g².
  const auto attn = [](const ModuleNode& e, const char* group) { return child(child(e, group), "attn"); };
  CHECK(tc(child(attn(b, "blocks.{0,1,3,4,6,7,9,10}"), "qkv")) ==
        doctest::Approx(1764.0 / 4900.0 * tc(child(attn(a, "blocks.{0,1,3,4,6,7,9,10}"), "qkv"))));
  CHECK(tc(child(attn(b, "blocks.{2,5,8,11}"), "sdpa")) ==
        doctest::Approx(ratio * ratio * tc(child(attn(a, "blocks.{2,5,8,11}"), "sdpa"))));
  // Doubling the images doubles every flow.
  const ModuleNode two = eval_encoder({2, 640});
  CHECK(tc(two) == doctest::Approx(2 * tc(b)));
  CHECK(dsocr_test::fwd(two, MM_METRIC_CUDA_FLOPS) ==
        doctest::Approx(2 * dsocr_test::fwd(b, MM_METRIC_CUDA_FLOPS) - 2 * D * 250 * 290 -
                        4 * 2 * 3 * 79 * 64));  // the table resizes run once per forward, not per image
}

TEST_CASE("backward Tensor-Core FLOPs: 2× for the matmuls, 2.5× for flash attention") {
  // Linear and the rel-pos einsums: exactly 2× forward; flash attention B·H·E·(6·dq + 4·dv) = 2.5× forward.
  const ModuleNode b = eval_block({1, 1024}, 14);
  const double sdpa = tc(child(child(b, "attn"), "sdpa"));
  CHECK(dsocr_test::bwd(b, MM_METRIC_TC_FLOPS) == 2 * (tc(b) - sdpa) + 2.5 * sdpa);
  CHECK(dsocr_test::bwd(b, MM_METRIC_TC_FLOPS) == 2 * 61986545664.0 + 2.5 * 2950348800.0);
  // Under eager every matmul is exactly 2×.
  const ModuleNode e = eval_block({1, 1024}, 14, MM_ATTENTION_EAGER);
  CHECK(dsocr_test::bwd(e, MM_METRIC_TC_FLOPS) == 2 * tc(e));
  const ModuleNode g = eval_block({1, 1024}, 0, MM_ATTENTION_EAGER);
  CHECK(dsocr_test::bwd(g, MM_METRIC_TC_FLOPS) == 2 * tc(g));
  // The whole encoder: bounded by 2× and 2.5×.
  const ModuleNode enc = eval_encoder({1, 1024});
  CHECK(dsocr_test::bwd(enc, MM_METRIC_TC_FLOPS) > 2 * tc(enc));
  CHECK(dsocr_test::bwd(enc, MM_METRIC_TC_FLOPS) < 2.5 * tc(enc));
}

TEST_CASE("shared weights: the tiles' encoder reports no parameters but the same work") {
  const ModuleNode owner = eval_encoder({6, 640}), shared = eval_encoder({6, 640}, true);
  CHECK(params(shared) == 0);
  CHECK(dsocr_test::fwd(shared, MM_METRIC_WEIGHT_BYTES) == 0);
  CHECK(dsocr_test::bwd(shared, MM_METRIC_PARAMETERS) == 0);
  CHECK(tc(shared) == tc(owner));
  CHECK(dsocr_test::fwd(shared, MM_METRIC_CUDA_FLOPS) == dsocr_test::fwd(owner, MM_METRIC_CUDA_FLOPS));
  CHECK(dsocr_test::fwd(shared, MM_METRIC_IO_BYTES) == dsocr_test::fwd(owner, MM_METRIC_IO_BYTES));  // weights read
  CHECK(own(shared, MM_METRIC_PARAMETERS) == 0);                                                     // pos_embed
}

TEST_CASE("SAM leaves: MLPBlock, LayerNorm2d, PatchEmbed") {
  auto stage = dsocr_test::vision_stage();
  const ModuleNode mlp = dsocr_test::eval(modelmeter::make_layer<MLPBlock>(stage.ctx(), kV, 4096.0));
  CHECK(params(mlp) == 4722432);
  CHECK(dsocr_test::fwd(mlp, MM_METRIC_CUDA_FLOPS) == 4096 * (F + D) + 8 * 4096 * F);  // biases, exact GELU
  const ModuleNode ln = dsocr_test::eval(modelmeter::make_layer<LayerNorm2d>(stage.ctx(), 2, 256, 64, 64));
  CHECK(params(ln) == 512);
  CHECK(dsocr_test::fwd(ln, MM_METRIC_CUDA_FLOPS) == 7.0 * 2 * 64 * 64 * 256);  // LayerNorm with bias: 7 per element
  const ModuleNode pe = dsocr_test::eval(modelmeter::make_layer<PatchEmbed>(stage.ctx(), kV, 1, 1024));
  CHECK(tc(pe) == 2.0 * 64 * 64 * 768 * 3 * 16 * 16);
}

TEST_CASE("SAM inputs that cannot run are refused") {
  auto stage = dsocr_test::vision_stage();
  CHECK_THROWS_AS(modelmeter::make_layer<ImageEncoderViT>(stage.ctx(), kV, ViewShape{1, 1000}),
                  modelmeter::InvalidArgument);
  CHECK_THROWS_AS(modelmeter::make_layer<ImageEncoderViT>(stage.ctx(), kV, ViewShape{0, 1024}),
                  modelmeter::InvalidArgument);
  VisionConfig bad = kV;
  bad.sam_global_blocks = {2, 5, 8, 12};
  CHECK_THROWS_AS(modelmeter::make_layer<ImageEncoderViT>(stage.ctx(), bad, ViewShape{1, 1024}),
                  modelmeter::InvalidArgument);
}
