#pragma once

#include "example_config.hpp"

namespace example {

inline constexpr char kTransformerBlockDoc[] = R"(# TransformerBlock

A pre-norm decoder block: x + SelfAttention(RMSNorm(x)), then x + FeedForward(RMSNorm(x)).

Children: `input_norm` (RMSNorm h), `attn` (SelfAttention), `residual_1` (Add), `post_norm` (RMSNorm h),
`mlp` (FeedForward), `residual_2` (Add). The residual adds are core `Add` ops on T × h elements.

Conventions: see docs/metrics.md.
)";

class TransformerBlock final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(TransformerBlock, MM_CATEGORY_COMPOSITE, kTransformerBlockDoc)
  TransformerBlock(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& shape);
};

}  // namespace example
