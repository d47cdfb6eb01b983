// MLPBlock: the SAM ViT-B feed-forward block (lin1, exact GELU, lin2).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kMLPBlockDoc[] = R"(# MLPBlock

The feed-forward block of every SAM ViT-B `Block` (`sam_vary_sdpa.MLPBlock`): `lin2(GELU(lin1(x)))` with the
exact (erf) GELU, `nn.GELU()`'s default. A composite of core ops with no glue of its own:

| child | op | shape |
|---|---|---|
| `lin1` | core `Linear`, bias | T × D → F |
| `act` | core `GELU` (exact) | T × F |
| `lin2` | core `Linear`, bias | T × F → D |

## Symbols

T = tokens (images × g² grid positions: the MLP runs on the unpadded grid), D = `sam_embed_dim` (768),
F = `sam_mlp_dim` (3072).

## Formulas (sums of the children's; each child's page has its full table)

- Parameters: D·F + F + F·D + D (4,722,432 at D = 768, F = 3072).
- Tensor-Core FLOPs, forward: 2·T·D·F + 2·T·F·D = 4·T·D·F; backward exactly 2× forward (Linear rule).
- CUDA-core FLOPs, forward: bias adds T·F + T·D, GELU 8·T·F.

Conventions: see docs/metrics.md.
)";

class MLPBlock final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(MLPBlock, MM_CATEGORY_COMPOSITE, kMLPBlockDoc)
  MLPBlock(const modelmeter::StageContext& ctx, const VisionConfig& v, double tokens);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
