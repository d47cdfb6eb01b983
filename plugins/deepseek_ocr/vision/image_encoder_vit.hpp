// ImageEncoderViT: DeepSeek-OCR's SAM ViT-B image encoder (patch embedding, 12 blocks, neck, two stride-2 convs).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kImageEncoderViTDoc[] = R"(# ImageEncoderViT

SAM ViT-B as DeepSeek-OCR's first vision encoder (`sam_vary_sdpa.ImageEncoderViT`, `build_sam_vit_b`), run on B
views of s×s pixels:

```
x = patch_embed(x)                       # B × g × g × D
x = x + get_abs_pos(pos_embed, g)        # 1 × 64 × 64 × D, bicubic-resized (antialias) to g × g when g ≠ 64
for blk in blocks: x = blk(x)            # 12 Blocks: global at 2, 5, 8, 11, 14×14 windows elsewhere
x = neck(x.permute(0, 3, 1, 2))          # Conv 1×1 D→256, LayerNorm2d, Conv 3×3 256→256, LayerNorm2d
x = net_3(net_2(x))                      # Conv 3×3 s2 256→512, Conv 3×3 s2 512→1024: 1024 × g/4 × g/4
```

| child | layer | shape |
|---|---|---|
| `patch_embed` | `PatchEmbed` | Conv2d 3 → D, k 16, s 16, bias |
| `blocks.{0,1,3,4,6,7,9,10}` | `Block`, windowed (×8) | B·g² tokens, windows of 14×14 |
| `blocks.{2,5,8,11}` | `Block`, global (×4) | B grids of g×g |
| `neck.0` | core `Conv2d` | D → 256, 1×1, no bias, g×g |
| `neck.1` | `LayerNorm2d` | 256 channels, g×g |
| `neck.2` | core `Conv2d` | 256 → 256, 3×3, pad 1, no bias |
| `neck.3` | `LayerNorm2d` | 256 channels, g×g |
| `net_2` | core `Conv2d` | 256 → 512, 3×3, stride 2, pad 1, no bias: g/2 × g/2 |
| `net_3` | core `Conv2d` | 512 → 1024, 3×3, stride 2, pad 1, no bias: g/4 × g/4 |
| (own glue) | `pos_embed`: parameters, resize, add | below |

The block groups are derived from `sam_depth` and `sam_global_blocks`, each named with its indices.

## Symbols

B = images, s = view side, g = s/16 (64 at 1024, 40 at 640), G = `sam_pos_grid` (64), D = `sam_embed_dim` (768),
ρ = 1 when g ≠ G (the table is resized) else 0, π = 0 with `shared_weights` (the tiles' instance) else 1,
bw / ba = weight / activation bytes.

## Parameters (own)

`pos_embed`: G²·D·π = 3,145,728 — whatever the view (weights do not depend on it). With the children:
95,569,152 = 590,592 (patch_embed) + 3,145,728 + 8 × 7,091,328 + 4 × 7,104,128 + 6,685,696 (neck, net_2, net_3).

## Forward (own glue)

| kernel | CUDA FLOPs | bytes read | bytes written |
|---|---|---|---|
| ρ: `.to(float32)` of the table | 0 | bw·G²·D | 4·G²·D |
| ρ: bicubic antialiased resize G² → g² (`upsample_gen2d_aa_out_frame`) | 2·D·S·(S + g) | 4·G²·D | 4·g²·D |
| ρ: `.to(dtype)` back | 0 | 4·g²·D | bw·g²·D |
| x + pos (broadcast over the images) | B·g²·D | ba·B·g²·D + bw·g²·D | ba·B·g²·D |

Resize FLOPs: S = Σ over the g outputs of one axis of the taps read, with scale = G/g, support = 2·scale (scale ≥ 1;
else 2), center = scale·(i + ½), taps = min(⌊center + support + ½⌋, G) − max(⌊center − support + ½⌋, 0). Per output
element and channel the kernel sums ysize rows of xsize taps, then the rows: 2·ysize·(xsize + 1) FLOPs, 2·D·S·(S + g)
in all. 64 → 40: S = 250, 2·768·250·290 = 111,360,000 FLOPs. The casts vanish when bw = 4; the filter weights
(O(g·S) per axis) are not counted.

- tc_flops = 0; activation_bytes = the bytes written; live_bytes = the largest kernel (the parameter excluded).
- The permutes (`patch_embed`'s to channels-last, the neck's back to NCHW) are views the convolutions read in
  place: no copies counted.

## Backward (own glue)

| kernel | CUDA FLOPs | bytes read | bytes written |
|---|---|---|---|
| d pos = Σ over images of dY (dx = dY passes through, no kernel) | B·g²·D | ba·B·g²·D | bw·g²·D |
| ρ: the casts and the resize adjoint (wx·wy·dy added into every tap pair), the same bytes moved back | 3·D·S² | forward's written | forward's read |

activation_bytes = the gradients written except the parameter's own (weight_bytes); kv_cache_bytes = 0.

## Whole encoder

Output: 1024 × g/4 × g/4 per image (16×16 at 1024, 10×10 at 640). Tensor-Core FLOPs are those of the children
(patch conv, 12 blocks, neck convolutions); the linear parts scale with the tokens g² (the windowed attention
with the padded gp², the global attention with g⁴).

Conventions: see docs/metrics.md.
)";

class ImageEncoderViT final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(ImageEncoderViT, MM_CATEGORY_COMPOSITE, kImageEncoderViTDoc)
  ImageEncoderViT(const modelmeter::StageContext& ctx, const VisionConfig& v, const ViewShape& view);

  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  std::string shapes() const override { return shapes_; }

 private:
  uint64_t images_;    // B
  uint64_t grid_;      // g
  uint64_t pos_grid_;  // G
  uint64_t dim_;       // D
  bool shared_;        // weights owned by another instance
  double bw_, ba_;     // bytes per weight / activation element
  std::string shapes_;
};

}  // namespace deepseek_ocr
