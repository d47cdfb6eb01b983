// NoTPTransformer: the stack of CLIP-L transformer layers.
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kNoTPTransformerDoc[] = R"(# NoTPTransformer

CLIP-L's layer stack (`clip_sdpa.NoTPTransformer`): L identical `NoTPTransformerBlock`s applied in turn, declared
once as `layers.{0..L−1}` with repeat count L (24 at the checkpoint). No glue of its own: every metric is
L × the block's.

Symbols: B = images, N = 1 + q² tokens per image, L = `clip_layers`.

Conventions: see docs/metrics.md.
)";

class NoTPTransformer final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(NoTPTransformer, MM_CATEGORY_COMPOSITE, kNoTPTransformerDoc)
  NoTPTransformer(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images, uint64_t seq_len);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
