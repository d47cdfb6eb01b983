// Expert and pipeline parallelism in the DeepSeek-OCR decoder through the SDK's sparse-MoE block and
// pipeline_layers (docs/parallelism.md): routed experts split over ep GPUs, the two all-to-alls of
// (g−1)/g·S, the ranks adding up to the unsharded model, and the layers of the last pipeline stage.
#include "core/deepseek_ocr_model.hpp"
#include "decoder/deepseek_v2_moe.hpp"
#include "dsocr_test_support.hpp"

using deepseek_ocr::DecoderConfig;
using dsocr_test::child;
using dsocr_test::fwd;
using dsocr_test::params;

namespace {

constexpr double kH = 1280, kK = 6, kI = 896, kVocab = 129280;
constexpr double kExpert = 3 * kH * kI;                       // gate, up and down of one routed expert: 3,440,640
constexpr double kRouted = 64 * kExpert;                      // all 64 routed experts of one MoE layer: 220,200,960
constexpr double kMoeLayer = 6553600 + 227164160 + 2 * 1280;  // attention, MoE block, two norms: 233,720,320

// A prefill of `batch` × `prompt` built for the layout (tp, ep, dp, pp); the host builds the last stage.
struct ParallelStage {
  mm_layer_test::Stage stage;
  mm_parallel parallel{sizeof(mm_parallel), 1, 1, 1, 1, 0};
  ParallelStage(uint64_t tp, uint64_t ep, uint64_t dp, uint64_t pp, uint64_t batch, uint64_t prompt)
      : stage(dsocr_test::prefill_stage(batch, prompt)) {
    parallel.tp = static_cast<uint32_t>(tp);
    parallel.pp = static_cast<uint32_t>(pp);
    parallel.ep = static_cast<uint32_t>(ep);
    parallel.dp = static_cast<uint32_t>(dp);
    parallel.pp_rank = static_cast<uint32_t>(pp - 1);
    stage.raw.parallel = &parallel;
  }
};

modelmeter::core::ModuleNode model(uint64_t tp, uint64_t ep, uint64_t dp, uint64_t pp, uint64_t prompt = 128) {
  const ParallelStage s(tp, ep, dp, pp, 1, prompt);
  const deepseek_ocr::VisionPlan plan =
      deepseek_ocr::plan_vision(deepseek_ocr::VisionKeys{"base", std::nullopt, std::nullopt, std::nullopt, 640});
  return dsocr_test::eval(modelmeter::make_layer<deepseek_ocr::DeepseekOCRModel>(s.stage.ctx(), DecoderConfig{},
                                                                                 deepseek_ocr::VisionConfig{}, plan));
}

modelmeter::core::ModuleNode moe(uint64_t tp, uint64_t ep, uint64_t dp, uint64_t tokens = 128) {
  const ParallelStage s(tp, ep, dp, 1, 1, tokens);
  return dsocr_test::eval(modelmeter::make_layer<deepseek_ocr::DeepseekV2MoE>(s.stage.ctx(), DecoderConfig{},
                                                                              dsocr_test::prefill_shape(1, tokens)));
}

double comm(const modelmeter::core::ModuleNode& n) {
  return fwd(n, MM_METRIC_COMM_BYTES);
}

}  // namespace

TEST_CASE("DeepSeek-OCR EP over DP GPUs: routed experts per GPU are exactly 1/ep and two all-to-alls of (g-1)/g·S") {
  const auto one = moe(1, 1, 1);
  CHECK(params(child(one, "experts")) == kRouted);
  CHECK(one.children.size() == 3);  // gate, experts, shared_experts: no communication on one GPU
  CHECK(comm(one) == 0);
  const double s = 128 * kK * kH * 2;  // S = T·k·h bf16 bytes a GPU holds before the dispatch: 1,966,080
  for (const uint64_t ep : {2, 4, 8}) {
    CAPTURE(ep);
    const auto m = moe(1, ep, ep);
    const double g = static_cast<double>(ep);
    CHECK(params(child(m, "experts")) == kRouted / g);  // 64/ep whole experts
    CHECK(params(child(m, "experts")) == (64 / g) * kExpert);
    CHECK(params(child(m, "gate")) == params(child(one, "gate")));                      // replicated router
    CHECK(params(child(m, "shared_experts")) == params(child(one, "shared_experts")));  // replicated shared experts
    CHECK(comm(child(m, "dispatch_all_to_all")) == (g - 1) / g * s);
    CHECK(comm(child(m, "combine_all_to_all")) == (g - 1) / g * s);
    CHECK(comm(m) == 2 * (g - 1) / g * s);  // no all-reduce at tp = 1
    // The ranks' parameters add up to the unsharded block: the experts once, gate and shared experts per rank.
    const double replicated = params(m) - params(child(m, "experts"));
    CHECK(g * params(m) - (g - 1) * replicated == params(one));
  }
  CHECK(comm(child(moe(1, 2, 2), "dispatch_all_to_all")) == 983040);   // ½ · 1,966,080
  CHECK(comm(child(moe(1, 4, 4), "dispatch_all_to_all")) == 1474560);  // ¾ · 1,966,080
}

TEST_CASE("DeepSeek-OCR EP inside the TP group: ep = tp = 2 holds 32 whole experts and one all-reduce") {
  const auto m = moe(2, 2, 1);
  CHECK(params(child(m, "experts")) == 32 * kExpert);                  // 110,100,480: whole experts
  CHECK(params(child(m, "shared_experts")) == 3 * kH * (2 * kI) / 2);  // shared experts tensor-split: 3,440,640
  CHECK(comm(child(m, "all_reduce")) == 128 * kH * 2);                 // 2(g−1)/g·S = S at g = 2: 327,680
  CHECK(comm(m) == 128 * kH * 2);                                      // no all-to-all
  // Each GPU runs its experts on T·k/ep = 384 token-slots: half the routed experts' Tensor-Core FLOPs.
  CHECK(fwd(child(m, "experts"), MM_METRIC_TC_FLOPS) == 3 * 2 * (128 * kK / 2) * kH * kI);
}

TEST_CASE("DeepSeek-OCR decoder at EP = 2 and 4: the model's parameters lose exactly the other ranks' experts") {
  const double whole = params(model(1, 1, 1, 1));
  CHECK(whole == 2603776000.0 + kVocab * kH * 2 + kH);  // 12 layers, embedding, LM head, final norm
  for (const uint64_t ep : {2, 4}) {
    CAPTURE(ep);
    const double g = static_cast<double>(ep);
    const double per_gpu = params(model(1, ep, ep, 1));
    CHECK(whole - per_gpu == 11 * kRouted * (g - 1) / g);            // 11 MoE layers
    CHECK(g * per_gpu - (g - 1) * (whole - 11 * kRouted) == whole);  // Σ over ranks = unsharded
  }
}

TEST_CASE("DeepSeek-OCR pipeline: the last stage gets the last MoE layers and the LM head") {
  const double t = 128;
  const auto two = model(1, 1, 1, 2, 128);
  // 12 layers over 2 stages: 6 each. Stage 0 holds the dense layer 0 (first_k_dense_replace = 1) and the
  // embedding; the last stage receives the activations and holds layers 6–11, all MoE, the norm and the head.
  CHECK(two.children.size() == 4);  // recv_activations, layers.{6..11}, norm, lm_head
  CHECK(child(two, "layers.{6..11}").repeat == 6);
  CHECK(comm(child(two, "recv_activations")) == t * kH * 2);  // T·h bf16 from stage 0: 327,680
  CHECK(params(two) == 6 * kMoeLayer + kH + kH * kVocab);     // 1,567,801,600
  CHECK(params(two) == 1567801600.0);
  // 5 stages: ⌊12/5⌋ = 2 each, the remainder on the last: layers 8–11.
  CHECK(child(model(1, 1, 1, 5), "layers.{8..11}").repeat == 4);
  // 12 stages: one layer each; the last stage is layer 11.
  CHECK(child(model(1, 1, 1, 12), "layers.11").repeat == 1);
  // pp = 2 with ep = 2 over 2 data-parallel GPUs: the stage's 6 MoE layers hold 32 experts each.
  CHECK(params(two) - params(model(1, 2, 2, 2)) == 6 * kRouted / 2);
}
