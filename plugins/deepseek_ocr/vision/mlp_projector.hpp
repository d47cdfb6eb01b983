// MlpProjector: the vision-to-language projector (projector type "linear").
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kMlpProjectorDoc[] = R"(# MlpProjector

DeepSeek-OCR's projector with `projector_type = "linear"`: one `Linear(2048 → h)` with bias applied to every
view token, whose 2048 channels are CLIP-L's 1024 (CLS dropped) concatenated with SAM's 1024.

| child | op | shape |
|---|---|---|
| `layers` | core `Linear`, bias | T × 2048 → h |

## Symbols

T = view tokens over all views (q² per view: 256 for a 1024 view, 100 per 640 tile), h = the decoder's
`hidden_size` (1280).

## Formulas (the child's)

- Parameters: 2048·h + h (2,622,720 at h = 1280).
- Tensor-Core FLOPs: 2·T·2048·h forward, 4·T·2048·h backward.
- CUDA-core FLOPs: bias adds T·h.

The concatenation feeding it is the root model's glue, not the projector's.

Conventions: see docs/metrics.md.
)";

class MlpProjector final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(MlpProjector, MM_CATEGORY_COMPOSITE, kMlpProjectorDoc)
  MlpProjector(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t hidden_size, double tokens);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
