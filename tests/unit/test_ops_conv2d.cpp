// core's Conv2d op (core/src/ops/conv2d.cpp): output size, hand-derived values, scaling laws, validation.
// Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec conv(uint64_t batch, uint64_t cin, uint64_t cout, uint64_t h, uint64_t w, uint64_t kh, uint64_t kw,
                uint64_t stride, uint64_t padding, bool bias) {
  mm_op_spec s = mmtest::spec(MM_OP_CONV2D);
  s.batch = batch;
  s.in_features = cin;
  s.out_features = cout;
  s.in_h = h;
  s.in_w = w;
  s.kernel_h = kh;
  s.kernel_w = kw;
  s.stride = stride;
  s.padding = padding;
  s.bias = bias ? 1 : 0;
  return s;
}

}  // namespace

TEST_CASE("Conv2d: B=2 Cin=3 Cout=4 5×5 k=3 s=2 p=1 with bias, bf16 — hand-derived") {
  const Context c;
  const Op op(c, conv(2, 3, 4, 5, 5, 3, 3, 2, 1, true));
  CHECK(op.cls().name == std::string("Conv2d"));
  CHECK(op.cls().category == MM_CATEGORY_CONV);
  // Ho = Wo = ⌊(5 + 2·1 − 3)/2⌋ + 1 = 3.
  CHECK(op.shapes() == "batch=2 in=3 out=4 input=5x5 kernel=3x3 stride=2 padding=1 output=3x3 bias=yes");
  // K = 4·3·3·3 = 108 kernel weights; P = 108 + 4 = 112.
  const auto f = op.forward();
  CHECK(f.tc_flops == 3888);  // 2·B·Ho·Wo·Cout·Cin·kh·kw = 2·2·9·4·3·9
  CHECK(f.cuda_flops == 72);  // bias adds B·Cout·Ho·Wo = 2·4·9
  CHECK(f.io_bytes == 668);   // x 2·2·3·25 = 300, W,b 2·112 = 224, y 2·2·4·9 = 144
  CHECK(f.weight_bytes == 224);
  CHECK(f.parameters == 112);
  CHECK(f.activation_bytes == 144);  // y
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 444);  // x + y = 300 + 144
  const auto b = op.backward();
  CHECK(b.tc_flops == 7776);  // dX and dW, each 3888
  CHECK(b.cuda_flops == 72);  // db = Σ dY over B, Ho, Wo
  CHECK(b.io_bytes == 1184);  // dY 144, W 2·108 = 216, x 300, dX 300, dW,db 224
  CHECK(b.weight_bytes == 224);
  CHECK(b.parameters == 112);
  CHECK(b.activation_bytes == 300);  // dX
  CHECK(b.live_bytes == 744);        // x, dY, dX: 300 + 144 + 300
}

TEST_CASE("Conv2d: output size uses the floor — non-square kernels — fp32 without bias") {
  const Context c(4);
  // H=6, k=3, s=2, p=0: ⌊3/2⌋ + 1 = 2. W=7, k=2: ⌊5/2⌋ + 1 = 3.
  const Op op(c, conv(1, 2, 3, 6, 7, 3, 2, 2, 0, false));
  CHECK(op.shapes() == "batch=1 in=2 out=3 input=6x7 kernel=3x2 stride=2 padding=0 output=2x3 bias=no");
  const auto f = op.forward();
  CHECK(f.tc_flops == 432);  // 2·B·Ho·Wo·Cout·Cin·kh·kw = 2·1·(2·3)·3·2·(3·2) = 2·6·36
  CHECK(f.cuda_flops == 0);
  CHECK(f.parameters == 36);  // 3·2·3·2
  CHECK(f.io_bytes == 552);   // x 4·1·2·6·7 = 336, W 4·36 = 144, y 4·1·3·2·3 = 72
  CHECK(f.weight_bytes == 144);
  CHECK(f.live_bytes == 408);  // x + y
  const auto b = op.backward();
  CHECK(b.io_bytes == 1032);  // dY 72, W 144, x 336, dX 336, dW 144
  CHECK(b.cuda_flops == 0);
}

TEST_CASE("Conv2d: scaling laws") {
  const Context c;
  const Op one(c, conv(1, 3, 8, 16, 16, 4, 4, 4, 0, true));
  const Op two(c, conv(2, 3, 8, 16, 16, 4, 4, 4, 0, true));
  const auto a = one.forward(), b = two.forward();
  const double weights = 2 * (8 * 3 * 16 + 8);  // bw·P, read once whatever the batch
  CHECK(b.tc_flops == 2 * a.tc_flops);          // images ×2
  CHECK(b.cuda_flops == 2 * a.cuda_flops);
  CHECK(b.io_bytes - weights == 2 * (a.io_bytes - weights));
  CHECK(b.activation_bytes == 2 * a.activation_bytes);
  CHECK(b.weight_bytes == a.weight_bytes);
  CHECK(one.backward().tc_flops == 2 * a.tc_flops);  // backward matmul FLOPs = 2× forward
  // A patch embedding (k = s, p = 0) is a Linear on the patches: 2·(16/4)²·8·(3·4·4) FLOPs per image.
  CHECK(a.tc_flops == 2.0 * 16 * 8 * 48);
}

TEST_CASE("Conv2d: invalid specs are refused naming the field") {
  const Context c;
  const mmtest::Outcome o = mmtest::try_create(c, conv(1, 3, 4, 2, 2, 5, 5, 1, 1, false));
  CHECK(o.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(o.message == "Conv2d: output height must be >= 1, got 0 (in_h=2, kernel_h=5, padding=1, stride=1)");
  mmtest::check_refused(c, conv(1, 3, 4, 8, 2, 3, 5, 1, 1, false), "output width");
  mmtest::check_refused(c, conv(0, 3, 4, 8, 8, 3, 3, 1, 1, false), "batch");
  mmtest::check_refused(c, conv(1, 0, 4, 8, 8, 3, 3, 1, 1, false), "in_features");
  mmtest::check_refused(c, conv(1, 3, 0, 8, 8, 3, 3, 1, 1, false), "out_features");
  mmtest::check_refused(c, conv(1, 3, 4, 0, 8, 3, 3, 1, 1, false), "in_h");
  mmtest::check_refused(c, conv(1, 3, 4, 8, 0, 3, 3, 1, 1, false), "in_w");
  mmtest::check_refused(c, conv(1, 3, 4, 8, 8, 0, 3, 1, 1, false), "kernel_h");
  mmtest::check_refused(c, conv(1, 3, 4, 8, 8, 3, 0, 1, 1, false), "kernel_w");
  mmtest::check_refused(c, conv(1, 3, 4, 8, 8, 3, 3, 0, 1, false), "stride");
  mmtest::check_refused(c, conv(1, 3, 4, 8, 8, 3, 3, 1, UINT64_MAX, false), "output height");  // overflow
  // The kernel exactly fits: one output position per axis.
  CHECK(mmtest::try_create(c, conv(1, 3, 4, 2, 2, 4, 4, 1, 1, false)).status == MM_OK);
}
