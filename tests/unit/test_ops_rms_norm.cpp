// core's RMSNorm op (core/src/ops/rms_norm.cpp): hand-derived values, scaling, validation.
// Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec rms_norm(double tokens, uint64_t features) {
  mm_op_spec s = mmtest::spec(MM_OP_RMSNORM, tokens);
  s.features = features;
  return s;
}

}  // namespace

TEST_CASE("RMSNorm: T=3 F=4, bf16 — hand-derived") {
  const Context c;
  const Op op(c, rms_norm(3, 4));
  CHECK(op.cls().name == std::string("RMSNorm"));
  CHECK(op.cls().category == MM_CATEGORY_NORM);
  CHECK(op.shapes() == "tokens=3 features=4");
  // 4 FLOPs per element (square, sum, ·rsqrt, ·γ); T·F = 12; P = F = 4.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 48);  // 4·12
  CHECK(f.io_bytes == 56);    // read x 24, read γ 2·4 = 8, write y 24
  CHECK(f.weight_bytes == 8);
  CHECK(f.parameters == 4);
  CHECK(f.activation_bytes == 24);
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 48);  // x and y
  const auto b = op.backward();
  CHECK(b.cuda_flops == 96);  // 2× forward
  CHECK(b.io_bytes == 88);    // read x 24, dY 24, γ 8; write dX 24, dγ 8
  CHECK(b.weight_bytes == 8);
  CHECK(b.parameters == 4);
  CHECK(b.activation_bytes == 24);  // dX
  CHECK(b.live_bytes == 72);        // x, dY, dX
}

TEST_CASE("RMSNorm: int8 weights, bf16 activations — tokens ×2 — invalid specs") {
  const Context c(1, 2, 2);
  const auto f = Op(c, rms_norm(3, 4)).forward();
  CHECK(f.io_bytes == 52);  // x 24, γ 1·4, y 24
  CHECK(f.weight_bytes == 4);
  const auto a = Op(c, rms_norm(100, 32)).forward();
  const auto b = Op(c, rms_norm(200, 32)).forward();
  CHECK(b.cuda_flops == 2 * a.cuda_flops);
  CHECK(b.io_bytes - 32 == 2 * (a.io_bytes - 32));
  mmtest::check_refused(c, rms_norm(3, 0), "features");
  mmtest::check_refused(c, rms_norm(-2, 4), "tokens");
}
