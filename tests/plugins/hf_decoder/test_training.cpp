// A Llama-2-7B training step through the training model (docs/training.md, "Llama-2-7B"): the constants the doc
// derives for SwiGLU blocks without dropout and with flash attention, from the hf_decoder layers.
#include <doctest/doctest.h>

#include <modelmeter/core/training.hpp>

#include "hf_test_support.hpp"

using namespace hf_test;
namespace tr = modelmeter::core::training;

namespace {

tr::Step llama_step(uint64_t batch, uint64_t seq, tr::Recompute r) {
  const hf_decoder::HfConfig c = bundled("llama-2-7b");
  const Stage s = prefill(batch, seq);
  hf_decoder::Conventions conv;
  conv.lm_head_all_tokens = true;  // training computes the logits of every position
  const modelmeter::LayerPtr root = model(s, c, conv);
  const auto flat = modelmeter::core::flatten_layer(root.get(), "hf_decoder");
  tr::Options o;
  o.recompute = r;
  return tr::training_step(*flat.tree, flat.own, {989.4e12, 66.9e12, 3.35e12}, o);
}

}  // namespace

TEST_CASE("Llama-2-7B training step: FLOPs and activation memory per the derived constants") {
  const double b = 1, s = 4096, h = 4096, i = 11008, a = 32, l = 32, V = 32000;
  const tr::Step st = llama_step(1, 4096, tr::Recompute::None);
  CHECK(st.layers == l);
  // Forward per layer: q, k, v, o 8·b·s·h², SwiGLU 6·b·s·h·i, causal flash attention 2·b·h·s·(s + 1) (only the
  // s(s + 1)/2 unmasked scores); LM head on every position 2·b·s·h·V. Model FLOPs = 3 × forward.
  const double layer_fwd = 8 * b * s * h * h + 6 * b * s * h * i + 2 * b * h * s * (s + 1);
  CHECK(layer_fwd == 1'795'329'884'160.0);
  const double fwd = l * layer_fwd + 2 * b * s * h * V;
  CHECK(st.forward.tc_flops == fwd);
  CHECK(st.model_flops == 3 * fwd);
  CHECK(st.model_flops == 175'572'894'351'360.0);
  // Flash attention's backward recomputes QKᵀ: 2.5× its forward; the rest 2×.
  CHECK(st.hardware_flops == fwd + 2 * fwd + l * 0.5 * 2 * b * h * s * (s + 1));
  // Saved activations per layer, bf16, no dropout: RMSNorm inputs 2·2sbh, the q/k/v input once 2sbh, Q, K, V
  // 6sbh + the fp32 log-sum-exp 4·a·s·b, o_proj's input 2sbh, the gate/up input once 2sbh, SiLU's input, Mul's two
  // inputs and down_proj's input 8·s·b·i; the rotary embedding keeps nothing (a rotation).
  const double sbh = s * b * h;
  const double per_layer = 16 * sbh + 8 * s * b * i + 4 * a * s * b;
  CHECK(per_layer == 629'669'888.0);         // = s·b·h·37.5 + 4·a·s·b
  const double outside = 2 * sbh + 2 * sbh;  // final norm's and LM head's inputs
  CHECK(st.activation_bytes == l * per_layer + outside);
  // Selective recomputation changes nothing with flash attention (no s² tensor is kept).
  CHECK(llama_step(1, 4096, tr::Recompute::Selective).activation_bytes == st.activation_bytes);
  const tr::Step full = llama_step(1, 4096, tr::Recompute::Full);
  CHECK(full.activation_bytes == l * 2 * sbh + outside + per_layer);
  CHECK(full.recompute.tc_flops == l * layer_fwd);
  // Weights, gradients and Adam: 16 bytes per parameter, 6,738,415,616 parameters.
  CHECK(st.parameters == 6'738'415'616.0);
  CHECK(st.weight_bytes + st.gradient_bytes + st.optimizer_bytes == 16 * 6'738'415'616.0);
}
