#pragma once

#include "model_config.hpp"
#include "vision_plan.hpp"

namespace deepseek_ocr {

inline constexpr char kDeepseekOCRModelDoc[] = R"(# DeepseekOCRModel

The root of DeepSeek-OCR. One instance per stage:

- **vision**: per page, the global view (`base_size`²) through `sam_model` (ImageEncoderViT) and
  `vision_model` (VitModel, CLIP-L fed with SAM's features as patch embeddings); in Gundam mode the w×h tiles
  (`image_size`² each) through the same encoders again (`sam_model[tiles]`, `vision_model[tiles]`: the same
  weights, so their parameters are not counted twice); then `projector` (MlpProjector) on every view token.
- **prefill / decode**: `embed_tokens` (Embedding), the decoder layers grouped by kind
  (`layers.0` dense, `layers.{1..11}` MoE at the checkpoint), `norm` (DeepseekV2RMSNorm) and `lm_head`
  (Linear hidden → vocab, no bias) on the last position of each sequence only.

Own glue of the vision root (symbols: B pages, N = B·(q² + n·qt²) view tokens after the neck, V = B·vision
tokens, h = hidden size, ba/bw activation/weight bytes):

- parameters: `image_newline` and `view_seperator`, 2·h.
- concat(CLIP tokens without CLS, SAM tokens) → 2048 channels: I/O ba·N·(1024 + 1024) read + ba·N·2048 written.
- sequence assembly (rows of q tokens + a newline each, + the separator): I/O ba·N·h read + bw·2·h read +
  ba·V·h written. No arithmetic: CUDA and TC FLOPs are 0.
- backward: the same traffic with gradients (read dY, write dX), no arithmetic.

Own glue of the decoder root in a prefill with an image: the vision embeddings are scattered into the token
embeddings (`masked_scatter`): I/O 2·ba·V·h (read the vision tokens, write them into the sequence).

Conventions: see docs/metrics.md.
)";

class DeepseekOCRModel final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(DeepseekOCRModel, MM_CATEGORY_COMPOSITE, kDeepseekOCRModelDoc)
  DeepseekOCRModel(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const VisionConfig& vision,
                   const VisionPlan& plan);
  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  std::string shapes() const override { return shapes_; }

 private:
  void build_vision(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const VisionConfig& v,
                    const VisionPlan& plan);
  void build_decoder(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const VisionPlan& plan);

  bool vision_stage_ = false;
  double view_tokens_ = 0;      // N: tokens after the neck over all views and pages
  double vision_tokens_ = 0;    // V: vision tokens in the decoder's sequences (all pages)
  double concat_channels_ = 0;  // 2048: CLIP 1024 + SAM 1024
  double hidden_ = 0;
  double ba_ = 0, bw_ = 0;
  std::string shapes_;
};

}  // namespace deepseek_ocr
