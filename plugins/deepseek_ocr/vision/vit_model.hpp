// VitModel: DeepSeek-OCR's CLIP-L vision transformer, fed with SAM's feature map as its patch embeddings.
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kVitModelDoc[] = R"(# VitModel

CLIP-L as DeepSeek-OCR runs it (`clip_sdpa.VitModel.forward(x, patch_embeds)`): the SAM encoder's 1024 × q × q
output of each view is the patch embedding sequence; a CLS token is prepended, positions added, then
`pre_layrnorm` and 24 pre-norm transformer layers. There is no post-layernorm (the checkpoint's 303,177,728
parameters have none). A composite with no glue of its own:

| child | layer | shape |
|---|---|---|
| `embeddings` | `CLIPVisionEmbeddings` | B images, q² patches + CLS |
| `pre_layrnorm` | core `LayerNorm` (ε 1e-5), bias | B·N × h |
| `transformer` | `NoTPTransformer` | `clip_layers` × `NoTPTransformerBlock` on B sequences of N tokens |

## Symbols

B = images (views of this size), s = view side in pixels, g = s/16 SAM grid side, q = g/4 tokens per side after
SAM's neck (16 at 1024, 10 at 640), N = 1 + q² (257, 101), h = `clip_hidden` (1024).

## Formulas (sums of the children's)

- Parameters: embeddings 866,304 (602,112 of them the unused patch convolution) + pre_layrnorm 2·h +
  24 × 12,596,224 = 303,177,728, independent of the view size; 0 for an instance with `shared_weights`.
- Tensor-Core FLOPs, forward: 24 × [2·B·N·h·3h + 4·B·H·N²·d + 2·B·N·h² + 4·B·N·h·F] (no FLOPs in the
  embeddings: the patch convolution does not run).
- Its output keeps the CLS token; the root drops it before concatenating with SAM's tokens.

Conventions: see docs/metrics.md.
)";

class VitModel final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(VitModel, MM_CATEGORY_COMPOSITE, kVitModelDoc)
  VitModel(const modelmeter::StageContext& ctx, const VisionConfig& v, const ViewShape& view);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
