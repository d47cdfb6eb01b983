// core's GELU op (core/src/ops/gelu.cpp): exact and quick variants, hand-derived, scaling, validation.
// Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec gelu(double tokens, uint64_t features, bool quick = false) {
  mm_op_spec s = mmtest::spec(MM_OP_GELU, tokens);
  s.features = features;
  s.quick_gelu = quick ? 1 : 0;
  return s;
}

}  // namespace

TEST_CASE("GELU exact: T=2 F=3, bf16 — hand-derived") {
  const Context c;
  const Op op(c, gelu(2, 3));
  CHECK(op.cls().name == std::string("GELU"));
  CHECK(op.cls().category == MM_CATEGORY_ACTIVATION);
  CHECK(op.shapes() == "tokens=2 features=3 variant=exact");
  // n = T·F = 6 elements.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);
  CHECK(f.cuda_flops == 48);  // 8·6: x/√2 1, erf 4, +1 1, ·x 1, ·½ 1
  CHECK(f.io_bytes == 24);    // read x 2·6, write y 2·6
  CHECK(f.weight_bytes == 0);
  CHECK(f.parameters == 0);
  CHECK(f.activation_bytes == 12);  // y
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 24);  // x and y
  const auto b = op.backward();
  CHECK(b.tc_flops == 0);
  CHECK(b.cuda_flops == 84);        // 14·6: Φ(x) 7, x·φ(x) 5, sum 1, ·dY 1
  CHECK(b.io_bytes == 36);          // read x and dY, write dX: 3·2·6
  CHECK(b.activation_bytes == 12);  // dX
  CHECK(b.live_bytes == 36);
}

TEST_CASE("GELU quick (x·sigmoid(1.702x)): hand-derived — fp32") {
  const Context c(4);
  const Op op(c, gelu(2, 3, true));
  CHECK(op.shapes() == "tokens=2 features=3 variant=quick");
  const auto f = op.forward();
  CHECK(f.cuda_flops == 30);  // 5·6: 1.702·x 1, σ 3, ·x 1
  CHECK(f.io_bytes == 48);    // 2·4·6
  const auto b = op.backward();
  CHECK(b.cuda_flops == 54);  // 9·6: u and σ(u) 4, s + u·s·(1 − s) 4, ·dY 1
  CHECK(b.io_bytes == 72);    // 3·4·6
}

TEST_CASE("GELU: tokens ×2 doubles everything — invalid specs") {
  const Context c;
  const auto a = Op(c, gelu(7, 16)).forward();
  const auto b = Op(c, gelu(14, 16)).forward();
  CHECK(b.cuda_flops == 2 * a.cuda_flops);
  CHECK(b.io_bytes == 2 * a.io_bytes);
  CHECK(b.live_bytes == 2 * a.live_bytes);
  mmtest::check_refused(c, gelu(7, 0), "features");
  mmtest::check_refused(c, gelu(0, 16), "tokens");
  mm_op_spec s = gelu(7, 16);
  s.quick_gelu = 3;
  mmtest::check_refused(c, s, "quick_gelu");
}
