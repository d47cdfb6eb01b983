#pragma once

#include "example_config.hpp"

namespace example {

inline constexpr char kSelfAttentionDoc[] = R"(# SelfAttention

Multi-head causal self-attention of the example transformer: q, k, v and output projections (core `Linear`,
no bias) around core's `ScaledDotProductAttention` op (scores QKᵀ, softmax, context PV), with a KV cache.

Symbols: T = batch × query tokens, h = hidden size, n = heads, d = h / n.

- Projections: 4 × `Linear(h → h)` on T tokens: TC FLOPs 4 · 2·T·h·h.
- Attention: core `ScaledDotProductAttention`, causal, n heads of d; see its page.
- No glue ops of its own.

Conventions: see docs/metrics.md.
)";

class SelfAttention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(SelfAttention, MM_CATEGORY_COMPOSITE, kSelfAttentionDoc)
  SelfAttention(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace example
