#pragma once

#include "example_config.hpp"

namespace example {

inline constexpr char kFeedForwardDoc[] = R"(# FeedForward

The example transformer's MLP: `Linear(h → f)` with bias, GELU, `Linear(f → h)` with bias.

Symbols: T = tokens, h = hidden size, f = ffn size.

- TC FLOPs forward: 2·T·h·f + 2·T·f·h = 4·T·h·f.
- CUDA FLOPs: bias adds T·f + T·h, GELU per element (see `GELU`).
- Parameters: h·f + f + f·h + h.
- No glue ops of its own.

Conventions: see docs/metrics.md.
)";

class FeedForward final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(FeedForward, MM_CATEGORY_COMPOSITE, kFeedForwardDoc)
  FeedForward(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& shape);
};

}  // namespace example
