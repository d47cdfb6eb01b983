// Conv2d: NCHW direct 2-D convolution with square stride and padding. Formulas: kConv2dDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kConv2dDoc[] = R"md(# Conv2d

A 2-D convolution over NCHW images: y[B, Cout, Ho, Wo] = x[B, Cin, H, W] ⋆ W[Cout, Cin, kh, kw] (+ b), with
the same stride s and zero padding p along both spatial axes. Counted as the equivalent implicit GEMM
[B·Ho·Wo, Cin·kh·kw] × [Cin·kh·kw, Cout].

## Symbols

- B: images; Cin, Cout: input and output channels; H, W: input height and width
- kh, kw: kernel height and width; s: stride; p: padding
- Ho = ⌊(H + 2p − kh) / s⌋ + 1, Wo = ⌊(W + 2p − kw) / s⌋ + 1: output height and width (each ≥ 1)
- β: 1 with a bias, else 0
- K = Cout·Cin·kh·kw: kernel weights; P = K + β·Cout: parameters
- bw, ba: bytes per element of weights and activations

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 2·B·Ho·Wo·Cout·Cin·kh·kw | 2 FLOPs per multiply-accumulate |
| CUDA-core FLOPs | β·B·Cout·Ho·Wo | bias adds |
| I/O bytes | ba·B·Cin·H·W + bw·P + ba·B·Cout·Ho·Wo | read x, read W and b, write y |
| weight bytes | bw·P | |
| parameters | P | |
| activation bytes | ba·B·Cout·Ho·Wo | y |
| KV-cache bytes | 0 | |
| live bytes | ba·B·(Cin·H·W + Cout·Ho·Wo) | x and y |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 4·B·Ho·Wo·Cout·Cin·kh·kw | dX (transposed convolution) plus dW, each as many MACs as forward: 2× forward |
| CUDA-core FLOPs | β·B·Cout·Ho·Wo | bias gradient db = dY summed over B, Ho, Wo |
| I/O bytes | ba·B·Cout·Ho·Wo + bw·K + ba·B·Cin·H·W + ba·B·Cin·H·W + bw·P | read dY, W, x; write dX, dW (and db) |
| weight bytes | bw·P | weight-gradient memory |
| parameters | P | trainable parameters |
| activation bytes | ba·B·Cin·H·W | dX |
| KV-cache bytes | 0 | |
| live bytes | ba·B·(2·Cin·H·W + Cout·Ho·Wo) | x, dY, dX |

## Assumptions

- Direct convolution: no im2col buffer and no Winograd/FFT savings; x is read once (no halo re-reads).
- Padding is implicit (zeros are not read from memory). No dilation, one group.

Conventions: see docs/metrics.md.
)md";

// Output size along one axis, ⌊(in + 2·padding − kernel) / stride⌋ + 1; 0 when the kernel does not fit (or the
// padded size overflows). `stride` must be > 0.
uint64_t conv2d_output_size(uint64_t in, uint64_t kernel, uint64_t stride, uint64_t padding) noexcept;

class Conv2d final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(Conv2d, MM_CATEGORY_CONV, kConv2dDoc)
  Conv2d(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  uint64_t batch_;
  uint64_t in_channels_;
  uint64_t out_channels_;
  uint64_t in_h_, in_w_;
  uint64_t kernel_h_, kernel_w_;
  uint64_t stride_, padding_;
  uint64_t out_h_, out_w_;
  bool bias_;
  bool shared_;  // mm_op_spec.shared_weights
  double bw_;
  double ba_;
};

}  // namespace modelmeter::core::ops
