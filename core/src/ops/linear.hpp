// Linear: y = x·Wᵀ (+ b), optionally a grouped GEMM over MoE experts. Formulas: kLinearDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kLinearDoc[] = R"md(# Linear

A fully connected layer, y[T, out] = x[T, in] · Wᵀ (+ b). With G > 1 groups it is a grouped GEMM over G
independent weight matrices (the routed experts of an MoE layer): each token-slot is multiplied by the
matrix of the one group it was routed to.

## Symbols

- T: token-slots, the rows of x (grouped: summed over all groups; may be fractional, an expected value)
- in, out: input and output features
- β: 1 with a bias, else 0
- G: groups (weight matrices); g: groups touched in one step, the caller's expected number of distinct
  groups read (for uniform top-k routing E·(1 − (1 − k/E)^T), computed by the caller); g = G when not given
- W₁ = in·out + β·out: parameters of one group; P = G·W₁: parameters of the op
- bw, ba: bytes per element of weights and activations

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 2·T·in·out | 2 FLOPs per multiply-accumulate |
| CUDA-core FLOPs | β·T·out | bias adds |
| I/O bytes | ba·T·in + bw·g·W₁ + ba·T·out | read x, read the touched groups' W and b, write y |
| weight bytes | bw·P | every group is resident |
| parameters | P | |
| activation bytes | ba·T·out | y |
| KV-cache bytes | 0 | |
| live bytes | ba·T·(in + out) | x and y (weights are counted as weight bytes) |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 4·T·in·out | dX = dY·W (2·T·in·out) plus dW = dYᵀ·x (2·T·in·out): 2× forward |
| CUDA-core FLOPs | β·T·out | bias gradient db = dY summed over rows |
| I/O bytes | ba·T·out + bw·g·in·out + ba·T·in + ba·T·in + bw·g·W₁ | read dY, W, x; write dX, dW (and db) of the touched groups |
| weight bytes | bw·P | weight-gradient memory, at the weight precision |
| parameters | P | trainable parameters |
| activation bytes | ba·T·in | dX |
| KV-cache bytes | 0 | |
| live bytes | ba·T·(2·in + out) | x, dY, dX |

## Assumptions

- FLOPs follow the token-slots, whatever the group: grouping changes weight traffic only.
- The backward pass reads W but not b (the bias does not enter either gradient matmul).
- Gradients are stored at the precision of the tensor they belong to.

Conventions: see docs/metrics.md.
)md";

class Linear final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(Linear, MM_CATEGORY_MATMUL, kLinearDoc)
  Linear(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  double tokens_;
  double in_;
  double out_;
  bool bias_;
  double groups_;
  double groups_touched_;
  bool shared_;  // mm_op_spec.shared_weights
  double bw_;
  double ba_;
};

}  // namespace modelmeter::core::ops
