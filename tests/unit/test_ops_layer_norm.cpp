// core's LayerNorm op (core/src/ops/layer_norm.cpp): hand-derived values with and without bias, scaling,
// validation. Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec layer_norm(double tokens, uint64_t features, bool bias) {
  mm_op_spec s = mmtest::spec(MM_OP_LAYERNORM, tokens);
  s.features = features;
  s.bias = bias ? 1 : 0;
  return s;
}

}  // namespace

TEST_CASE("LayerNorm: T=3 F=4 with bias, bf16 — hand-derived") {
  const Context c;
  const Op op(c, layer_norm(3, 4, true));
  CHECK(op.cls().name == std::string("LayerNorm"));
  CHECK(op.cls().category == MM_CATEGORY_NORM);
  CHECK(op.shapes() == "tokens=3 features=4 bias=yes");
  // c = 5 (mean, centre, variance 2, normalise) + 1 (γ) + 1 (β) = 7 FLOPs per element; T·F = 12; P = 2·4 = 8.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 84);  // 7·12
  CHECK(f.io_bytes == 64);    // read x 2·12 = 24, read γ,β 2·8 = 16, write y 24
  CHECK(f.weight_bytes == 16);
  CHECK(f.parameters == 8);
  CHECK(f.activation_bytes == 24);  // y
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 48);  // x and y
  const auto b = op.backward();
  CHECK(b.tc_flops == 0);
  CHECK(b.cuda_flops == 168);   // 2× forward
  CHECK(b.io_bytes == 96);      // read x 24, dY 24, γ 2·4 = 8; write dX 24, dγ,dβ 16
  CHECK(b.weight_bytes == 16);  // gradient memory
  CHECK(b.parameters == 8);
  CHECK(b.activation_bytes == 24);  // dX
  CHECK(b.live_bytes == 72);        // x, dY, dX
}

TEST_CASE("LayerNorm: without bias — fp32") {
  const Context c(4);
  const Op op(c, layer_norm(3, 4, false));
  // c = 5 + 1 = 6; P = 4.
  const auto f = op.forward();
  CHECK(f.cuda_flops == 72);  // 6·12
  CHECK(f.parameters == 4);
  CHECK(f.io_bytes == 112);  // x 4·12 = 48, γ 4·4 = 16, y 48
  CHECK(f.weight_bytes == 16);
  const auto b = op.backward();
  CHECK(b.cuda_flops == 144);
  CHECK(b.io_bytes == 176);  // x 48, dY 48, γ 16, dX 48, dγ 16
}

TEST_CASE("LayerNorm: tokens ×2 doubles FLOPs and activation traffic — invalid specs") {
  const Context c;
  const auto a = Op(c, layer_norm(10, 64, true)).forward();
  const auto b = Op(c, layer_norm(20, 64, true)).forward();
  const double weights = 2 * 128;
  CHECK(b.cuda_flops == 2 * a.cuda_flops);
  CHECK(b.io_bytes - weights == 2 * (a.io_bytes - weights));
  CHECK(b.parameters == a.parameters);
  mmtest::check_refused(c, layer_norm(10, 0, true), "features");
  mmtest::check_refused(c, layer_norm(0, 64, true), "tokens");
  mm_op_spec s = layer_norm(10, 64, true);
  s.bias = -1;
  mmtest::check_refused(c, s, "bias");
}
