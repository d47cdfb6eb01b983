// core's Add op (core/src/ops/add.cpp): hand-derived, scaling, validation. Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec add(double tokens, uint64_t features) {
  mm_op_spec s = mmtest::spec(MM_OP_ADD, tokens);
  s.features = features;
  return s;
}

}  // namespace

TEST_CASE("Add: T=2 F=3, bf16 — hand-derived") {
  const Context c;
  const Op op(c, add(2, 3));
  CHECK(op.cls().name == std::string("Add"));
  CHECK(op.cls().category == MM_CATEGORY_ELEMENTWISE);
  CHECK(op.shapes() == "tokens=2 features=3");
  // n = 6 elements.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 6);  // 1 add per element
  CHECK(f.io_bytes == 36);   // read a, b and write y: 3·2·6
  CHECK(f.weight_bytes == 0);
  CHECK(f.parameters == 0);
  CHECK(f.activation_bytes == 12);  // y
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 36);  // a, b, y
  const auto b = op.backward();
  CHECK(b.cuda_flops == 0);         // dA = dB = dY: no arithmetic (a true zero)
  CHECK(b.io_bytes == 36);          // read dY, write dA and dB
  CHECK(b.activation_bytes == 24);  // dA and dB
  CHECK(b.live_bytes == 36);
}

TEST_CASE("Add: fp32 — tokens ×2 — invalid specs") {
  const Context c(4);
  CHECK(Op(c, add(2, 3)).forward().io_bytes == 72);  // 3·4·6
  const auto a = Op(c, add(5, 8)).forward();
  const auto b = Op(c, add(10, 8)).forward();
  CHECK(b.cuda_flops == 2 * a.cuda_flops);
  CHECK(b.io_bytes == 2 * a.io_bytes);
  mmtest::check_refused(c, add(5, 0), "features");
  mmtest::check_refused(c, add(-5, 8), "tokens");
}
