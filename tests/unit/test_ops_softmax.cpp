// core's Softmax op (core/src/ops/softmax.cpp): hand-derived, scaling, validation. Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec softmax(double tokens, uint64_t features) {
  mm_op_spec s = mmtest::spec(MM_OP_SOFTMAX, tokens);
  s.features = features;
  return s;
}

}  // namespace

TEST_CASE("Softmax: T=2 F=3, bf16 — hand-derived") {
  const Context c;
  const Op op(c, softmax(2, 3));
  CHECK(op.cls().name == std::string("Softmax"));
  CHECK(op.cls().category == MM_CATEGORY_ACTIVATION);
  // n = 6 elements.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 30);        // 5·6: max, subtract, exp, sum, divide
  CHECK(f.io_bytes == 24);          // read x, write y
  CHECK(f.activation_bytes == 12);  // y
  CHECK(f.live_bytes == 24);
  CHECK(f.parameters == 0);
  const auto b = op.backward();
  CHECK(b.cuda_flops == 24);  // 4·6: dY·y, sum, subtract, ·y
  CHECK(b.io_bytes == 36);    // read y, dY; write dX
  CHECK(b.activation_bytes == 12);
  CHECK(b.live_bytes == 36);
}

TEST_CASE("Softmax: rows ×2 and features ×2 each double the work — invalid specs") {
  const Context c;
  const auto a = Op(c, softmax(8, 32)).forward();
  CHECK(Op(c, softmax(16, 32)).forward().cuda_flops == 2 * a.cuda_flops);
  CHECK(Op(c, softmax(8, 64)).forward().io_bytes == 2 * a.io_bytes);
  mmtest::check_refused(c, softmax(8, 0), "features");
  mmtest::check_refused(c, softmax(0, 32), "tokens");
}
