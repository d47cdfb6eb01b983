// Tensor parallelism in hf_decoder through the SDK's building blocks (docs/parallelism.md): TP = 2 halves
// every sharded weight exactly, the ranks' parameters add up to the unsharded count, Megatron's two
// all-reduces of T·h per layer, and KV heads replicated when TP exceeds them.
#include <doctest/doctest.h>

#include "hf_test_support.hpp"

using namespace hf_test;
using hf_decoder::HfConfig;

namespace {

// A prefill of `batch` × `prompt` built for tensor-parallel degree tp (the stage context's mm_parallel).
struct TpStage {
  Stage stage;
  mm_parallel parallel{sizeof(mm_parallel), 1, 1, 1, 1, 0};
  TpStage(uint64_t tp, uint64_t batch, uint64_t prompt, uint64_t ep = 1, uint64_t dp = 1, uint64_t pp = 1)
      : stage(prefill(batch, prompt)) {
    parallel.tp = static_cast<uint32_t>(tp);
    parallel.ep = static_cast<uint32_t>(ep);
    parallel.dp = static_cast<uint32_t>(dp);
    parallel.pp = static_cast<uint32_t>(pp);
    parallel.pp_rank = static_cast<uint32_t>(pp - 1);  // the host builds the last (busiest) stage
    stage.raw.parallel = &parallel;
  }
};

modelmeter::core::ModuleNode build(const HfConfig& c, uint64_t tp, uint64_t batch = 1, uint64_t prompt = 128,
                                   uint64_t ep = 1, uint64_t dp = 1, uint64_t pp = 1) {
  const TpStage s(tp, batch, prompt, ep, dp, pp);
  return eval(modelmeter::make_layer<hf_decoder::HfDecoderModel>(s.stage.ctx(), c, hf_decoder::Conventions{}));
}

double comm(const modelmeter::core::ModuleNode& n) {
  return fwd(n, MM_METRIC_COMM_BYTES);
}

}  // namespace

TEST_CASE("Llama-2-7B at TP=2 halves every sharded weight exactly") {
  const HfConfig c = bundled("llama-2-7b");
  const auto one = build(c, 1);
  const auto two = build(c, 2);
  const auto& l1 = child(one, "layers.{0..31}");
  const auto& l2 = child(two, "layers.{0..31}");
  for (const char* p : {"q_proj", "k_proj", "v_proj", "o_proj"}) {
    CAPTURE(p);
    CHECK(params(child(child(l2, "self_attn"), p)) * 2 == params(child(child(l1, "self_attn"), p)));
  }
  CHECK(params(child(child(l2, "self_attn"), "q_proj")) == 4096.0 * 2048);  // h × H/2·d
  for (const char* p : {"gate_proj", "up_proj", "down_proj"}) {
    CAPTURE(p);
    CHECK(params(child(child(l2, "mlp"), p)) * 2 == params(child(child(l1, "mlp"), p)));
  }
  CHECK(params(child(child(l2, "mlp"), "down_proj")) == 5504.0 * 4096);  // i/2 × h
  CHECK(params(child(two, "embed_tokens")) == 16000.0 * 4096);           // V/2 rows
  CHECK(params(child(two, "lm_head")) == 4096.0 * 16000);                // V/2 columns
  // Norms are replicated: each GPU holds all of γ.
  CHECK(params(child(l2, "input_layernorm")) == params(child(l1, "input_layernorm")));
}

TEST_CASE("the parameters over all TP ranks equal the unsharded count (norms counted once)") {
  const HfConfig c = bundled("llama-2-7b");
  const double p1 = params(build(c, 1));
  CHECK(p1 == 6738415616.0);
  const double norms = (2 * 32 + 1) * 4096.0;  // two RMSNorms per layer and the final one, replicated
  for (const uint64_t tp : {2, 4, 8}) {
    CAPTURE(tp);
    CHECK(static_cast<double>(tp) * params(build(c, tp)) - static_cast<double>(tp - 1) * norms == p1);
  }
}

TEST_CASE("Megatron: two all-reduces of b·s·h per layer in the forward pass") {
  const HfConfig c = bundled("llama-2-7b");
  const double b = 2, s = 128, h = 4096, ba = 2;
  const auto two = build(c, 2, 2, 128);
  const auto& layer = child(two, "layers.{0..31}");
  const double buffer = b * s * h * ba;  // S
  // Ring all-reduce over g = 2: 2(g−1)/g·S = S bytes per GPU each.
  CHECK(comm(child(child(layer, "self_attn"), "o_proj_all_reduce")) == buffer);
  CHECK(comm(child(child(layer, "mlp"), "down_proj_all_reduce")) == buffer);
  CHECK(comm(layer) == 2 * buffer);
  const auto eight = build(c, 8, 2, 128);
  CHECK(comm(child(eight, "layers.{0..31}")) == 2 * (2 * 7.0 / 8 * buffer));  // 2(g−1)/g·S, g = 8
  // At TP = 1 nothing communicates.
  CHECK(comm(build(c, 1)) == 0);
}

TEST_CASE("Llama-2-70B at TP=8: 8 query heads and one KV head per GPU and TP=16 replicates KV heads") {
  const HfConfig c = bundled("llama-2-70b");  // h 8192, 64 heads of 128, 8 KV heads, i 28672, 80 layers
  const auto eight = build(c, 8);
  const auto& attn = child(child(eight, "layers.{0..79}"), "self_attn");
  CHECK(params(child(attn, "q_proj")) == 8192.0 * 8 * 128);
  CHECK(params(child(attn, "k_proj")) == 8192.0 * 1 * 128);
  const auto sixteen = build(c, 16);
  const auto& attn16 = child(child(sixteen, "layers.{0..79}"), "self_attn");
  CHECK(params(child(attn16, "q_proj")) == 8192.0 * 4 * 128);
  CHECK(params(child(attn16, "k_proj")) == 8192.0 * 1 * 128);  // replicated: still one KV head per GPU
}

TEST_CASE("Mixtral at TP=2: experts split by intermediate size, one all-reduce after the MoE block") {
  const HfConfig c = bundled("mixtral-8x7b");
  const auto one = build(c, 1);
  const auto two = build(c, 2);
  const auto& moe1 = child(child(one, "layers.{0..31}"), "mlp");
  const auto& moe2 = child(child(two, "layers.{0..31}"), "mlp");
  CHECK(params(child(moe2, "experts")) * 2 == params(child(moe1, "experts")));
  CHECK(params(child(moe2, "gate")) == params(child(moe1, "gate")));  // the router is replicated
  CHECK(comm(child(moe2, "all_reduce")) == 128 * 4096 * 2.0);         // S = T·h·2 bytes, g = 2
}

TEST_CASE("Mixtral expert parallel: ep = tp holds E/ep whole experts, ep over DP GPUs adds two all-to-alls") {
  const HfConfig c = bundled("mixtral-8x7b");  // E = 8, k = 2, h = 4096, expert i = 14336
  const double expert = 3 * 4096.0 * 14336;    // gate, up, down of one expert
  const auto tp2ep2 = build(c, 2, 1, 128, 2);
  const auto& moe = child(child(tp2ep2, "layers.{0..31}"), "mlp");
  CHECK(params(child(moe, "experts")) == 4 * expert);  // 4 of the 8 experts, whole
  CHECK(comm(child(moe, "all_reduce")) == 128 * 4096 * 2.0);
  const auto ep2 = build(c, 1, 1, 128, 2, 2);  // tp = 1, ep = 2 over dp = 2
  const auto& moe2 = child(child(ep2, "layers.{0..31}"), "mlp");
  CHECK(params(child(moe2, "experts")) == 4 * expert);
  // All-to-all over g = 2 of S = T·k·h·2 bytes: (g−1)/g·S each way.
  const double s = 128 * 2 * 4096 * 2.0;
  CHECK(comm(child(moe2, "dispatch_all_to_all")) == 0.5 * s);
  CHECK(comm(child(moe2, "combine_all_to_all")) == 0.5 * s);
  CHECK(comm(moe2) == s);  // no all-reduce at tp = 1
}

TEST_CASE("pipeline parallel: the last stage holds the last layers, the final norm and the LM head") {
  const HfConfig c = bundled("llama-2-7b");  // 32 layers
  const auto two = build(c, 1, 1, 128, 1, 1, 2);
  CHECK(two.children.size() == 4);  // recv_activations, layers.{16..31}, norm, lm_head
  CHECK(child(two, "layers.{16..31}").repeat == 16);
  CHECK(comm(child(two, "recv_activations")) == 128 * 4096 * 2.0);  // T·h bf16 from the stage before
  const double layer = 4 * 4096.0 * 4096 + 3 * 4096.0 * 11008 + 2 * 4096;
  CHECK(params(two) == 16 * layer + 4096 + 32000 * 4096.0);  // 16 layers, the final norm, the LM head
  // 32 layers over 3 stages: 10, 10 and the last 12 (vLLM gives the remainder to the last stage).
  const auto three = build(c, 1, 1, 128, 1, 1, 3);
  CHECK(child(three, "layers.{20..31}").repeat == 12);
}
