// core's SiLU op (core/src/ops/silu.cpp): hand-derived, scaling, validation. Formulas: docs/metrics.md.
#include <cmath>

#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec silu(double tokens, uint64_t features) {
  mm_op_spec s = mmtest::spec(MM_OP_SILU, tokens);
  s.features = features;
  return s;
}

}  // namespace

TEST_CASE("SiLU: T=2 F=3, bf16 — hand-derived") {
  const Context c;
  const Op op(c, silu(2, 3));
  CHECK(op.cls().name == std::string("SiLU"));
  CHECK(op.cls().category == MM_CATEGORY_ACTIVATION);
  CHECK(op.shapes() == "tokens=2 features=3");
  // n = 6 elements.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 24);  // 4·6: exp, add, reciprocal, ·x
  CHECK(f.io_bytes == 24);    // read x, write y: 2·2·6
  CHECK(f.parameters == 0);
  CHECK(f.weight_bytes == 0);
  CHECK(f.activation_bytes == 12);  // y
  CHECK(f.live_bytes == 24);
  const auto b = op.backward();
  CHECK(b.cuda_flops == 48);        // 8·6: σ 3, s·(1 + x·(1 − s)) 4, ·dY 1
  CHECK(b.io_bytes == 36);          // read x, dY; write dX
  CHECK(b.activation_bytes == 12);  // dX
  CHECK(b.live_bytes == 36);
}

TEST_CASE("SiLU: fractional tokens scale linearly — invalid specs") {
  const Context c;
  const Op op(c, silu(2.5, 4));
  CHECK(op.forward().cuda_flops == 40);  // 4·2.5·4
  CHECK(op.shapes() == "tokens=2.5 features=4");
  mmtest::check_refused(c, silu(2, 0), "features");
  mmtest::check_refused(c, silu(std::nan(""), 4), "tokens");
}
