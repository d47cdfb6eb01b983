// VitAttention: bidirectional multi-head self-attention over the B·T tokens of the stage (no KV cache).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "vit_config.hpp"
#include "vit_shape.hpp"

namespace vit {

inline constexpr char kVitAttentionDoc[] = R"(# VitAttention

`ViTAttention` (`ViTSelfAttention` + `ViTSelfOutput`): query, key and value projections, scaled dot-product
attention over all T tokens of each image (bidirectional: no causal mask, no KV cache), the output projection.

| child | op | shape |
|---|---|---|
| `query`, `key`, `value` | core `Linear` h → h, bias with `qkv_bias` (one fused GEMM: fusion group `qkv`) | B·T rows |
| `attention` | core `ScaledDotProductAttention`, H heads of d = h/H, causal = no, KV cache = no | B × H × T × T |
| `dense` | core `Linear` h → h with bias | B·T rows |

Tensor-Core FLOPs (forward): 3·2·B·T·h² (q, k, v) + 2·B·H·T²·(d + d) (scores and context) + 2·B·T·h² (dense).
Parameters 4·h² + 4·h (3·h of them the q/k/v biases). Dropout is not modeled (0 at inference; ViT's published
checkpoints train with attention dropout 0).

Conventions: see docs/metrics.md.
)";

class VitAttention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(VitAttention, MM_CATEGORY_COMPOSITE, kVitAttentionDoc)
  VitAttention(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace vit
