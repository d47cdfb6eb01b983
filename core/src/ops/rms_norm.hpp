// RMSNorm over the last `features` of each row. Formulas: kRMSNormDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kRMSNormDoc[] = R"md(# RMSNorm

Root-mean-square normalisation over the last F features of each of T rows:
y = x / √(mean(x²) + ε) · γ. No centring and no bias.

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features normalised together
- P = F: parameters (γ)
- c = 4: CUDA-core FLOPs per element, forward: square (1 mul), sum of squares (1 add),
  scale by 1/√(mean + ε) (1 mul), scale by γ (1 mul)
- bw, ba: bytes per element of weights and activations

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | no matmul |
| CUDA-core FLOPs | 4·T·F | per-element count above |
| I/O bytes | ba·T·F + bw·F + ba·T·F | read x, read γ, write y |
| weight bytes | bw·F | |
| parameters | F | |
| activation bytes | ba·T·F | y |
| KV-cache bytes | 0 | |
| live bytes | 2·ba·T·F | x and y |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 8·T·F | counted as 2× forward: recompute the normalised x, then dX and dγ |
| I/O bytes | 2·ba·T·F + bw·F + ba·T·F + bw·F | read x, dY, γ; write dX, dγ |
| weight bytes | bw·F | weight-gradient memory |
| parameters | F | trainable parameters |
| activation bytes | ba·T·F | dX |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·T·F | x, dY, dX |

## Assumptions

- Per-row scalar work (÷ F, + ε, the reciprocal square root) is O(T) and not counted.
- Computed in fp32 inside the kernel; x and y still move at the activation precision. The backward pass
  recomputes the row's mean square instead of reading a saved statistic.

Conventions: see docs/metrics.md.
)md";

class RMSNorm final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(RMSNorm, MM_CATEGORY_NORM, kRMSNormDoc)
  RMSNorm(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  double tokens_;
  double features_;
  bool shared_;  // mm_op_spec.shared_weights
  double bw_;
  double ba_;
};

}  // namespace modelmeter::core::ops
