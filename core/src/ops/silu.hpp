// SiLU (swish): y = x·σ(x). Formulas: kSiLUDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kSiLUDoc[] = R"md(# SiLU

The sigmoid linear unit (swish), applied to every element of a T×F tensor: y = x·σ(x), σ(x) = 1 / (1 + e^(−x)).

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features; n = T·F elements
- ba: bytes per activation element
- forward, 4 FLOPs per element: σ(x) (3: exp, add, reciprocal) + x·σ (1)
- backward, 8 FLOPs per element: recompute s = σ(x) (3), y′ = s·(1 + x·(1 − s)) (4: sub, mul, add, mul),
  ·dY (1)

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 4·n | per-element count above |
| I/O bytes | 2·ba·n | read x, write y |
| weight bytes, parameters | 0 | no weights |
| activation bytes | ba·n | y |
| KV-cache bytes | 0 | |
| live bytes | 2·ba·n | x and y |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 8·n | per-element count above |
| I/O bytes | 3·ba·n | read x and dY, write dX |
| weight bytes, parameters | 0 | |
| activation bytes | ba·n | dX |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·n | x, dY, dX |

## Assumptions

- A transcendental (exp) counts one FLOP; the negation in e^(−x) is folded into the exponent.
- A gated MLP's SiLU(gate)·up product is a separate Mul.

Conventions: see docs/metrics.md.
)md";

class SiLU final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(SiLU, MM_CATEGORY_ACTIVATION, kSiLUDoc)
  SiLU(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  ElementwiseShape shape_;
};

}  // namespace modelmeter::core::ops
