// NoTPFeedForward: the CLIP-L feed-forward block (fc1, quick-GELU, fc2).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kNoTPFeedForwardDoc[] = R"(# NoTPFeedForward

The feed-forward block of every CLIP-L `NoTPTransformerBlock` (`clip_sdpa.NoTPFeedForward`):
`fc2(quick_gelu(fc1(x)))` with `quick_gelu(x) = x·σ(1.702·x)`. A composite of core ops with no glue of its own:

| child | op | shape |
|---|---|---|
| `fc1` | core `Linear`, bias | T × h → F |
| `act` | core `GELU`, quick | T × F |
| `fc2` | core `Linear`, bias | T × F → h |

## Symbols

T = tokens (images × N, N = 1 + q² with the CLS token), h = `clip_hidden` (1024), F = `clip_ffn` (4096).

## Formulas (sums of the children's; each child's page has its full table)

- Parameters: h·F + F + F·h + h (8,393,728 at h = 1024, F = 4096).
- Tensor-Core FLOPs, forward: 4·T·h·F; backward exactly 2× forward (Linear rule).
- CUDA-core FLOPs, forward: bias adds T·F + T·h, quick-GELU 5·T·F.

Conventions: see docs/metrics.md.
)";

class NoTPFeedForward final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(NoTPFeedForward, MM_CATEGORY_COMPOSITE, kNoTPFeedForwardDoc)
  NoTPFeedForward(const modelmeter::StageContext& ctx, const VisionConfig& v, double tokens);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
