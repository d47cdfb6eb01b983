// PatchEmbed: SAM ViT-B's patch embedding, a strided Conv2d over the image.
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kPatchEmbedDoc[] = R"(# PatchEmbed

SAM's image-to-patch embedding: `proj = Conv2d(3 → D, kernel p, stride p)` with bias, then a permute to
B × g × g × D (channels last).

| child | op | shape |
|---|---|---|
| `proj` | core `Conv2d`, bias | B images, 3 → D channels, s × s pixels, kernel p, stride p, no padding |

## Symbols

B = images, s = view side in pixels, p = `sam_patch` (16), g = s/p grid side (64 at 1024, 40 at 640),
D = `sam_embed_dim` (768).

## Formulas (the child's; its page has the full table)

- Parameters: 3·D·p² + D (590,592).
- Tensor-Core FLOPs, forward: 2·B·g²·D·3·p²; backward 2× forward.
- CUDA-core FLOPs: bias adds B·D·g².

Assumption: the permute to channels-last is a view (no copy); the next op reads it in place.

Conventions: see docs/metrics.md.
)";

class PatchEmbed final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(PatchEmbed, MM_CATEGORY_COMPOSITE, kPatchEmbedDoc)
  PatchEmbed(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images, uint64_t size);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
