// GELU, exact (erf) or quick (x·sigmoid(1.702x)). Formulas: kGELUDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kGELUDoc[] = R"md(# GELU

The Gaussian error linear unit, applied to every element of a T×F tensor:

- exact: y = x·Φ(x) = ½·x·(1 + erf(x/√2))
- quick (`quick_gelu`): y = x·σ(1.702·x), σ(u) = 1 / (1 + e^(−u))

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features; n = T·F elements
- ba: bytes per activation element
- c_f, c_b: CUDA-core FLOPs per element, forward and backward (a transcendental counts 1, erf counts 4)

| variant | c_f (forward) | c_b (backward: dX = dY·y′(x)) |
|---|---|---|
| exact | 8 = x/√2 (1) + erf (4) + 1 + erf (1) + x·(…) (1) + ½·(…) (1) | 14 = recompute Φ(x) (7) + x·φ(x) = x·e^(−x²/2)/√(2π) (5: square, ·(−½), exp, ·1/√(2π), ·x) + Φ + xφ (1) + ·dY (1) |
| quick | 5 = u = 1.702·x (1) + σ(u) (3: exp, add, reciprocal) + x·σ (1) | 9 = recompute u and s = σ(u) (4) + y′ = s + u·s·(1 − s) (4) + ·dY (1) |

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | c_f·n | per-element count above |
| I/O bytes | 2·ba·n | read x, write y |
| weight bytes, parameters | 0 | no weights |
| activation bytes | ba·n | y |
| KV-cache bytes | 0 | |
| live bytes | 2·ba·n | x and y |

## Backward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | c_b·n | per-element count above |
| I/O bytes | 3·ba·n | read x and dY, write dX |
| weight bytes, parameters | 0 | |
| activation bytes | ba·n | dX |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·n | x, dY, dX |

## Assumptions

- erf has no hardware instruction; it counts 4 FLOPs, the cost of the short exp-based approximations
  kernels use (z², e^(−z²), one multiply, one subtract).
- The derivative is recomputed from x (the forward output is not reused).

Conventions: see docs/metrics.md.
)md";

class GELU final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(GELU, MM_CATEGORY_ACTIVATION, kGELUDoc)
  GELU(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  ElementwiseShape shape_;
  bool quick_;
};

}  // namespace modelmeter::core::ops
