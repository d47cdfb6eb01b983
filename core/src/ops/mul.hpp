// Mul: elementwise product of two tensors (gating). Formulas: kMulDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kMulDoc[] = R"md(# Mul

The elementwise product of two T×F tensors of the same shape: y = a ⊙ b (the gate of a gated MLP, for example).

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features; n = T·F elements
- ba: bytes per activation element

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | n | 1 multiply per element |
| I/O bytes | 3·ba·n | read a and b, write y |
| weight bytes, parameters | 0 | no weights |
| activation bytes | ba·n | y |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·n | a, b, y |

## Backward

dA = dY ⊙ b and dB = dY ⊙ a.

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 2·n | 2 multiplies per element |
| I/O bytes | 5·ba·n | read dY, a and b, write dA and dB |
| weight bytes, parameters | 0 | |
| activation bytes | 2·ba·n | dA and dB |
| KV-cache bytes | 0 | |
| live bytes | 5·ba·n | dY, a, b, dA, dB |

## Assumptions

- No broadcasting: both inputs have n elements.

Conventions: see docs/metrics.md.
)md";

class Mul final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(Mul, MM_CATEGORY_ELEMENTWISE, kMulDoc)
  Mul(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  ElementwiseShape shape_;
};

}  // namespace modelmeter::core::ops
