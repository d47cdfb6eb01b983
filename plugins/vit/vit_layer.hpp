// VitLayer: one pre-LN encoder block: x + attn(LN(x)), then x + mlp(LN(x)).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "vit_config.hpp"
#include "vit_shape.hpp"

namespace vit {

inline constexpr char kVitLayerDoc[] = R"(# VitLayer

`ViTLayer`, pre-LN: `x = x + attention(layernorm_before(x))`, then `x = x + mlp(layernorm_after(x))`.

| child | class / op | shape |
|---|---|---|
| `layernorm_before` | core `LayerNorm` (γ and β) | B·T × h |
| `attention` | `VitAttention` | see its page |
| `attention_residual` | core `Add` | B·T × h |
| `layernorm_after` | core `LayerNorm` (γ and β) | B·T × h |
| `mlp` | `VitMlp` | see its page |
| `mlp_residual` | core `Add` | B·T × h |

Parameters per layer: 4·h² + 4·h (attention) + 2·h·i + i + h (MLP) + 4·h (two LayerNorms); for ViT-B/16
(h = 768, i = 3072) 7,087,872. No own ops. Conventions: see docs/metrics.md.
)";

class VitLayer final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(VitLayer, MM_CATEGORY_COMPOSITE, kVitLayerDoc)
  VitLayer(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace vit
