// core's Mul op (core/src/ops/mul.cpp): hand-derived, scaling, validation. Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec mul(double tokens, uint64_t features) {
  mm_op_spec s = mmtest::spec(MM_OP_MUL, tokens);
  s.features = features;
  return s;
}

}  // namespace

TEST_CASE("Mul: T=2 F=3, bf16 — hand-derived") {
  const Context c;
  const Op op(c, mul(2, 3));
  CHECK(op.cls().name == std::string("Mul"));
  CHECK(op.cls().category == MM_CATEGORY_ELEMENTWISE);
  // n = 6 elements.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 6);  // 1 multiply per element
  CHECK(f.io_bytes == 36);   // read a, b; write y
  CHECK(f.activation_bytes == 12);
  CHECK(f.live_bytes == 36);
  CHECK(f.parameters == 0);
  const auto b = op.backward();
  CHECK(b.cuda_flops == 12);        // dY·b and dY·a: 2 per element
  CHECK(b.io_bytes == 60);          // read dY, a, b; write dA, dB: 5·2·6
  CHECK(b.activation_bytes == 24);  // dA and dB
  CHECK(b.live_bytes == 60);
}

TEST_CASE("Mul: tokens ×2 — invalid specs") {
  const Context c;
  const auto a = Op(c, mul(3, 11)).backward();
  const auto b = Op(c, mul(6, 11)).backward();
  CHECK(b.cuda_flops == 2 * a.cuda_flops);
  CHECK(b.io_bytes == 2 * a.io_bytes);
  mmtest::check_refused(c, mul(3, 0), "features");
  mmtest::check_refused(c, mul(0, 11), "tokens");
}
