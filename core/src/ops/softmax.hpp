// Softmax over the last `features` of each row. Formulas: kSoftmaxDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kSoftmaxDoc[] = R"md(# Softmax

A numerically stable softmax over the last F features of each of T rows:
y_i = e^(x_i − m) / Σ_j e^(x_j − m), m = max_j x_j. (The softmax inside attention is part of the
ScaledDotProductAttention op; this one is a standalone softmax, such as an MoE router's.)

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features; n = T·F elements
- ba: bytes per activation element
- forward, 5 FLOPs per element: running max (1 compare), x − m (1), exp (1), sum (1), divide (1)
- backward, 4 FLOPs per element: dX = y ⊙ (dY − Σ_j dY_j·y_j): dY·y (1), sum (1), subtract (1), ·y (1)

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 5·n | per-element count above |
| I/O bytes | 2·ba·n | read x, write y |
| weight bytes, parameters | 0 | no weights |
| activation bytes | ba·n | y |
| KV-cache bytes | 0 | |
| live bytes | 2·ba·n | x and y |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 4·n | per-element count above |
| I/O bytes | 3·ba·n | read y and dY, write dX |
| weight bytes, parameters | 0 | |
| activation bytes | ba·n | dX |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·n | y, dY, dX |

## Assumptions

- One fused kernel: x is read once (max, exponentials and sum in registers or shared memory).
- The backward pass uses the saved output y, not x.

Conventions: see docs/metrics.md.
)md";

class Softmax final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(Softmax, MM_CATEGORY_ACTIVATION, kSoftmaxDoc)
  Softmax(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  ElementwiseShape shape_;
};

}  // namespace modelmeter::core::ops
