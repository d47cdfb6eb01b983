// LayerNorm over the last `features` of each row. Formulas: kLayerNormDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kLayerNormDoc[] = R"md(# LayerNorm

Layer normalisation over the last F features of each of T rows:
y = (x − μ) / √(σ² + ε) · γ (+ β), with μ and σ² the mean and (biased) variance of the row.

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features normalised together
- β: 1 with the affine bias β, else 0 (the scale γ is always present)
- P = F·(1 + β): parameters
- c = 5 + 1 + β: CUDA-core FLOPs per element, forward:
  mean (1 add), centre x − μ (1 sub), variance (1 square + 1 add), normalise by 1/√(σ² + ε) (1 mul),
  scale by γ (1 mul), shift by β (1 add, with a bias)
- bw, ba: bytes per element of weights and activations

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | no matmul |
| CUDA-core FLOPs | c·T·F | per-element count above |
| I/O bytes | ba·T·F + bw·P + ba·T·F | read x, read γ (and β), write y |
| weight bytes | bw·P | |
| parameters | P | |
| activation bytes | ba·T·F | y |
| KV-cache bytes | 0 | |
| live bytes | 2·ba·T·F | x and y |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 2·c·T·F | counted as 2× forward: recompute the normalised x, then dX and dγ (dβ) |
| I/O bytes | 2·ba·T·F + bw·F + ba·T·F + bw·P | read x, dY, γ; write dX, dγ (and dβ) |
| weight bytes | bw·P | weight-gradient memory |
| parameters | P | trainable parameters |
| activation bytes | ba·T·F | dX |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·T·F | x, dY, dX |

## Assumptions

- Per-row scalar work (the two divisions by F, + ε, the reciprocal square root) is O(T) and not counted.
- The statistics are computed in fp32 inside the kernel; x and y still move at the activation precision.
  The backward pass recomputes μ and σ² instead of reading saved statistics.

Conventions: see docs/metrics.md.
)md";

class LayerNorm final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(LayerNorm, MM_CATEGORY_NORM, kLayerNormDoc)
  LayerNorm(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  double tokens_;
  double features_;
  bool bias_;
  bool shared_;  // mm_op_spec.shared_weights
  double bw_;
  double ba_;
};

}  // namespace modelmeter::core::ops
