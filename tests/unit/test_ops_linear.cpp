// core's Linear op (core/src/ops/linear.cpp): hand-derived values, scaling laws, grouped (MoE) weight traffic,
// validation. Formulas: docs/metrics.md.
#include <cmath>

#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec linear(double tokens, uint64_t in, uint64_t out, bool bias, uint64_t groups = 0, double touched = 0) {
  mm_op_spec s = mmtest::spec(MM_OP_LINEAR, tokens);
  s.in_features = in;
  s.out_features = out;
  s.bias = bias ? 1 : 0;
  s.groups = groups;
  s.groups_touched = touched;
  return s;
}

}  // namespace

TEST_CASE("Linear: tokens=4 in=3 out=5 with bias, bf16 — hand-derived forward and backward") {
  const Context c;  // bf16: bw = ba = 2
  const Op op(c, linear(4, 3, 5, true));
  CHECK(op.cls().name == std::string("Linear"));
  CHECK(op.cls().category == MM_CATEGORY_MATMUL);
  CHECK(op.shapes() == "tokens=4 in=3 out=5 bias=yes");

  // Forward. P = 3·5 + 5 = 20.
  const auto f = op.forward();
  CHECK(f.tc_flops == 120);         // 2·T·in·out = 2·4·3·5
  CHECK(f.cuda_flops == 20);        // bias adds T·out = 4·5
  CHECK(f.io_bytes == 104);         // read x 2·4·3 = 24, read W,b 2·20 = 40, write y 2·4·5 = 40
  CHECK(f.weight_bytes == 40);      // 2·20
  CHECK(f.parameters == 20);        // 15 + 5
  CHECK(f.activation_bytes == 40);  // y: 2·4·5
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 64);  // x and y: 2·4·(3 + 5)

  // Backward.
  const auto b = op.backward();
  CHECK(b.tc_flops == 240);     // dX 2·4·3·5 + dW 2·4·3·5
  CHECK(b.cuda_flops == 20);    // db = Σ_rows dY: 4·5
  CHECK(b.io_bytes == 158);     // read dY 40, read W 2·15 = 30, read x 24, write dX 24, write dW,db 40
  CHECK(b.weight_bytes == 40);  // gradient memory 2·20
  CHECK(b.parameters == 20);
  CHECK(b.activation_bytes == 24);  // dX: 2·4·3
  CHECK(b.kv_cache_bytes == 0);
  CHECK(b.live_bytes == 88);  // x, dY, dX: 2·4·(3 + 5 + 3)
}

TEST_CASE("Linear: fp32 without bias — hand-derived") {
  const Context c(4);  // fp32: 4 bytes for every tensor class
  const Op op(c, linear(2, 4, 3, false));
  const auto f = op.forward();
  CHECK(f.tc_flops == 48);      // 2·2·4·3
  CHECK(f.cuda_flops == 0);     // no bias: no CUDA-core work (a true zero)
  CHECK(f.io_bytes == 104);     // x 4·2·4 = 32, W 4·12 = 48, y 4·2·3 = 24
  CHECK(f.weight_bytes == 48);  // 4·12
  CHECK(f.parameters == 12);
  CHECK(f.activation_bytes == 24);
  CHECK(f.live_bytes == 56);  // 4·2·(4 + 3)
  const auto b = op.backward();
  CHECK(b.tc_flops == 96);
  CHECK(b.cuda_flops == 0);
  CHECK(b.io_bytes == 184);  // dY 24, W 48, x 32, dX 32, dW 48
  CHECK(b.activation_bytes == 32);
  CHECK(b.live_bytes == 88);  // 4·2·(4 + 3 + 4)
}

TEST_CASE("Linear: int4 weights at 0.515625 bytes (0.5 + fp16 scale per 128)") {
  const Context c(0.515625, 2, 2);
  const Op op(c, linear(4, 3, 5, true));
  const auto f = op.forward();
  CHECK(f.weight_bytes == 20 * 0.515625);        // 10.3125
  CHECK(f.io_bytes == 24 + 20 * 0.515625 + 40);  // x, W and b at 0.515625, y
  CHECK(f.tc_flops == 120);                      // precision changes bytes, not FLOPs
}

TEST_CASE("Linear: grouped (MoE) — FLOPs follow token-slots, weight traffic the touched groups") {
  const Context c;
  // 8 experts of 4→2, no bias; 6 token-slots; 2.5 groups touched (the caller's E·(1-(1-k/E)^T)).
  const Op touched(c, linear(6, 4, 2, false, 8, 2.5));
  const Op all(c, linear(6, 4, 2, false, 8, 0));  // 0: every group is read
  const Op dense(c, linear(6, 4, 2, false));
  CHECK(touched.shapes() == "tokens=6 in=4 out=2 bias=no groups=8 touched=2.5");
  const auto t = touched.forward();
  CHECK(t.tc_flops == 96);  // 2·6·4·2, the same as a dense layer on 6 rows
  CHECK(t.tc_flops == dense.forward().tc_flops);
  CHECK(t.parameters == 64);             // 8·4·2
  CHECK(t.weight_bytes == 128);          // every expert is resident: 2·64
  CHECK(t.io_bytes == 112);              // x 2·6·4 = 48, W 2·2.5·8 = 40, y 2·6·2 = 24
  CHECK(all.forward().io_bytes == 200);  // x 48, W 2·8·8 = 128, y 24
  const auto tb = touched.backward();
  CHECK(tb.tc_flops == 192);
  CHECK(tb.io_bytes == 200);      // dY 24, W 40, x 48, dX 48, dW 40 (touched groups only)
  CHECK(tb.weight_bytes == 128);  // gradient memory of every expert
}

TEST_CASE("Linear: scaling laws") {
  const Context c;
  const Op one(c, linear(64, 32, 48, true));
  const Op two(c, linear(128, 32, 48, true));
  const auto a = one.forward(), b = two.forward();
  const double weights_read = 2 * (32 * 48 + 48);  // bw·(in·out + out): independent of T
  SUBCASE("tokens ×2: FLOPs and activation traffic ×2, weight traffic unchanged") {
    CHECK(b.tc_flops == 2 * a.tc_flops);
    CHECK(b.cuda_flops == 2 * a.cuda_flops);
    CHECK(b.io_bytes - weights_read == 2 * (a.io_bytes - weights_read));
    CHECK(b.activation_bytes == 2 * a.activation_bytes);
    CHECK(b.live_bytes == 2 * a.live_bytes);
    CHECK(b.weight_bytes == a.weight_bytes);
    CHECK(b.parameters == a.parameters);
  }
  SUBCASE("backward matmul FLOPs = 2× forward") {
    CHECK(one.backward().tc_flops == 2 * a.tc_flops);
    CHECK(two.backward().tc_flops == 2 * b.tc_flops);
  }
  SUBCASE("fractional (expected) token counts are linear too") {
    const Op half(c, linear(32.5, 32, 48, true));
    CHECK(half.forward().tc_flops == 2 * 32.5 * 32 * 48);
    CHECK(half.shapes() == "tokens=32.5 in=32 out=48 bias=yes");
  }
}

TEST_CASE("Linear: invalid specs are refused naming the field and value") {
  const Context c;
  const mmtest::Outcome o = mmtest::try_create(c, linear(4, 0, 5, true));
  CHECK(o.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(o.message == "Linear: in_features must be > 0, got 0");
  mmtest::check_refused(c, linear(4, 3, 0, true), "out_features");
  mmtest::check_refused(c, linear(0, 3, 5, true), "tokens");
  mmtest::check_refused(c, linear(-1, 3, 5, true), "tokens");
  mmtest::check_refused(c, linear(std::nan(""), 3, 5, true), "tokens");
  mmtest::check_refused(c, linear(INFINITY, 3, 5, true), "tokens");
  mmtest::check_refused(c, linear(4, 3, 5, true, 8, 9), "groups_touched");
  mmtest::check_refused(c, linear(4, 3, 5, true, 0, 1.5), "groups_touched");  // groups 0 = 1 group
  mmtest::check_refused(c, linear(4, 3, 5, true, 8, -1), "groups_touched");
  mm_op_spec bad_bias = linear(4, 3, 5, true);
  bad_bias.bias = 2;
  mmtest::check_refused(c, bad_bias, "bias");
  const Context no_weight_bytes(0, 2, 2);
  mmtest::check_refused(no_weight_bytes, linear(4, 3, 5, true), "weight_bytes");
}

TEST_CASE("Linear shared_weights: no parameters or weight memory of its own, the same reads and FLOPs") {
  const Context c;
  mm_op_spec s = mmtest::spec(MM_OP_LINEAR, 4);
  s.in_features = 3;
  s.out_features = 5;
  s.bias = 1;
  const modelmeter::Metrics own = Op(c, s).forward();
  s.shared_weights = 1;
  const modelmeter::Metrics shared = Op(c, s).forward();
  CHECK(own.parameters == 20);  // 3·5 + 5
  CHECK(shared.parameters == 0);
  CHECK(shared.weight_bytes == 0);
  CHECK(shared.tc_flops == own.tc_flops);
  CHECK(shared.io_bytes == own.io_bytes);  // the weights are still read
  s.shared_weights = 2;
  mmtest::check_refused(c, s, "shared_weights");
}
