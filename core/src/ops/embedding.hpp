// Embedding: a table lookup of token ids. Formulas: kEmbeddingDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kEmbeddingDoc[] = R"md(# Embedding

A lookup table: y[t, :] = E[id_t, :] for each of T token ids, from a table E[V, D].

## Symbols

- T: tokens looked up (may be fractional, an expected value); V: vocabulary (table rows); D: embedding dim
- P = V·D: parameters
- ids are int32: 4 bytes each
- bw, ba: bytes per element of weights and activations

## Forward

A table lookup: no arithmetic. The zero FLOP counts below are true values, not "not modeled".

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | a table lookup: no arithmetic |
| CUDA-core FLOPs | 0 | a table lookup: no arithmetic |
| I/O bytes | bw·T·D + 4·T + ba·T·D | read the T touched rows, read the ids, write y |
| weight bytes | bw·V·D | the whole table is resident |
| parameters | V·D | |
| activation bytes | ba·T·D | y |
| KV-cache bytes | 0 | |
| live bytes | 4·T + ba·T·D | ids and y (the table is counted as weight bytes) |

## Backward

The gradient of the table is a scatter-add of dY into the T touched rows: dE[id_t, :] += dY[t, :].

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 0 | |
| CUDA-core FLOPs | T·D | one add per gradient element |
| I/O bytes | ba·T·D + 4·T + 2·bw·T·D | read dY and the ids, read and write the touched rows of dE |
| weight bytes | bw·V·D | weight-gradient memory (a dense table) |
| parameters | V·D | trainable parameters |
| activation bytes | 0 | the ids are integers: no input gradient |
| KV-cache bytes | 0 | |
| live bytes | ba·T·D + 4·T | dY and the ids |

## Assumptions

- Every token reads (and, backward, updates) its own row: repeated ids are not deduplicated.
- Converting a row from the weight to the activation precision is not counted as a FLOP.
- Zeroing the gradient table belongs to the optimizer step, not to this op.

Conventions: see docs/metrics.md.
)md";

class Embedding final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(Embedding, MM_CATEGORY_EMBEDDING, kEmbeddingDoc)
  Embedding(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  std::string shapes() const override;

 private:
  double tokens_;
  double vocab_;
  double dim_;
  bool shared_;  // mm_op_spec.shared_weights
  double bw_;
  double ba_;
};

}  // namespace modelmeter::core::ops
