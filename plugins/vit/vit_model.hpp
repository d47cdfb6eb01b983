// VitModel: the whole image classifier of one stage (embeddings, encoder layers, final norm, classifier head).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "vit_config.hpp"
#include "vit_shape.hpp"

namespace vit {

inline constexpr char kVitModelDoc[] = R"(# VitModel

`ViTForImageClassification` on B images of S × S pixels: patch + position embeddings, L encoder layers, the
final LayerNorm over every token, and the classifier on the CLS token only.

| child | class / op | shape |
|---|---|---|
| `embeddings` | `VitEmbeddings` | B × C × S × S → B·T × h |
| `encoder.layer.{0..L-1}` | `VitLayer`, repeated L times | B·T × h |
| `layernorm` | core `LayerNorm` (γ and β) | B·T × h |
| `classifier` | core `Linear` h → labels with bias (absent for a `ViTModel` config, num_labels = 0) | B rows (CLS) |

T = (S/p)² + 1. For ViT-B/16 at 224 × 224 (T = 197, h = 768, i = 3072, L = 12, 1000 labels):

- parameters 590,592 (patch conv) + 768 (CLS) + 151,296 (positions) + 12 × 7,087,872 + 1,536 (final norm) +
  769,000 (classifier) = **86,567,656**;
- multiply-accumulates 115,605,504 (conv: 196·768·3·16²) + 12 × (348,585,984 q/k/v + 59,610,624 attention +
  116,195,328 dense + 2 × 464,781,312 MLP) + 768,000 (classifier) = **17,563,828,224**, i.e. 35,127,656,448
  Tensor-Core FLOPs per image; LayerNorm, GELU, softmax, the adds are CUDA-core FLOPs.

No own ops. Conventions: see docs/metrics.md.
)";

class VitModel final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(VitModel, MM_CATEGORY_COMPOSITE, kVitModelDoc)
  VitModel(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace vit
