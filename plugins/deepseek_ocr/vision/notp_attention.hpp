// NoTPAttention: CLIP-L's self-attention (fused qkv projection, non-causal attention, output projection).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kNoTPAttentionDoc[] = R"(# NoTPAttention

CLIP-L's multi-head self-attention (`clip_sdpa.NoTPAttention`, `use_flash_attn = False`: the
`F.scaled_dot_product_attention` path): a fused `qkv_proj`, non-causal attention over the N tokens of each image,
`out_proj`. A composite of core ops with no glue of its own:

| child | op | shape |
|---|---|---|
| `qkv_proj` | core `Linear`, bias | T × h → 3h |
| `sdpa` | core `ScaledDotProductAttention`, non-causal | B sequences of N tokens, H heads of d, no KV cache |
| `out_proj` | core `Linear`, bias | T × h → h |

## Symbols

B = images, N = 1 + q² tokens per image (257 at a 1024 view, 101 at a 640 tile), T = B·N, h = `clip_hidden` (1024),
H = `clip_heads` (16), d = h/H (64), E = N² score entries per (image, head).

## Formulas (sums of the children's; each child's page has its full table)

- Parameters: h·3h + 3h + h·h + h (4,198,400 at h = 1024).
- Tensor-Core FLOPs, forward: 2·T·h·3h + 2·B·H·N²·(d + d) + 2·T·h·h.
- CUDA-core FLOPs, forward: bias adds 3·T·h + T·h, softmax 6·B·H·N².
- Backward, Tensor-Core: projections 2× forward; attention 2× (eager) or B·H·E·(6·d + 4·d) = 2.5× (flash).

The attention implementation is the workload's `attention.impl` (`flash` by default for the vision encoders).
Assumption: the split of the qkv output into heads and the merge of the heads before `out_proj` are views read
in place by the kernels (the vendor code only permutes them), so there are no copies to count.

Conventions: see docs/metrics.md.
)";

class NoTPAttention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(NoTPAttention, MM_CATEGORY_COMPOSITE, kNoTPAttentionDoc)
  NoTPAttention(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images, uint64_t seq_len);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
