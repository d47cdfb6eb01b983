// Add: elementwise sum of two tensors (residual connections). Formulas: kAddDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kAddDoc[] = R"md(# Add

The elementwise sum of two T×F tensors of the same shape: y = a + b (a residual connection, for example).

## Symbols

- T: rows (tokens; may be fractional, an expected value); F: features; n = T·F elements
- ba: bytes per activation element

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | n | 1 add per element |
| I/O bytes | 3·ba·n | read a and b, write y |
| weight bytes, parameters | 0 | no weights |
| activation bytes | ba·n | y |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·n | a, b, y |

## Backward

dA = dY and dB = dY.

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | 0 | no arithmetic: both gradients equal dY |
| I/O bytes | 3·ba·n | read dY, write dA and dB |
| weight bytes, parameters | 0 | |
| activation bytes | 2·ba·n | dA and dB |
| KV-cache bytes | 0 | |
| live bytes | 3·ba·n | dY, dA, dB |

## Assumptions

- No broadcasting: both inputs have n elements.
- Each input gradient is written as its own tensor (leaf I/O), although a framework may alias it to dY.

Conventions: see docs/metrics.md.
)md";

class Add final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(Add, MM_CATEGORY_ELEMENTWISE, kAddDoc)
  Add(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  ElementwiseShape shape_;
};

}  // namespace modelmeter::core::ops
