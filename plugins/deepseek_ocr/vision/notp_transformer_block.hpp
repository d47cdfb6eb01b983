// NoTPTransformerBlock: one pre-norm CLIP-L transformer layer.
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kNoTPTransformerBlockDoc[] = R"(# NoTPTransformerBlock

One CLIP-L layer (`clip_sdpa.NoTPTransformerBlock`), pre-norm:
`h = x + self_attn(layer_norm1(x))`, `out = h + mlp(layer_norm2(h))`. A composite with no glue of its own:

| child | op | shape |
|---|---|---|
| `layer_norm1` | core `LayerNorm` (ε 1e-5), bias | T × h |
| `self_attn` | `NoTPAttention` | B images × N tokens |
| `residual_1` | core `Add` | T × h |
| `layer_norm2` | core `LayerNorm`, bias | T × h |
| `mlp` | `NoTPFeedForward` | T tokens |
| `residual_2` | core `Add` | T × h |

## Symbols

B = images, N = 1 + q² tokens per image, T = B·N, h = `clip_hidden` (1024), F = `clip_ffn` (4096),
H = `clip_heads` (16), d = h/H.

## Formulas (sums of the children's)

- Parameters: 2·2h (norms) + 4h² + 4h (attention) + 2·h·F + F + h (MLP) = 12,596,224 at the checkpoint.
- Tensor-Core FLOPs, forward: 2·T·h·3h + 4·B·H·N²·d + 2·T·h² + 4·T·h·F.
- CUDA-core FLOPs, forward: norms 2·7·T·h, residual adds 2·T·h, biases 4·T·h + T·F + T·h, softmax 6·B·H·N²,
  quick-GELU 5·T·F.

Conventions: see docs/metrics.md.
)";

class NoTPTransformerBlock final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(NoTPTransformerBlock, MM_CATEGORY_COMPOSITE, kNoTPTransformerBlockDoc)
  NoTPTransformerBlock(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images, uint64_t seq_len);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
