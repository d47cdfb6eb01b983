// CLIPVisionEmbeddings: CLIP-L's input embeddings — CLS token + SAM features as patch embeddings + positions.
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kCLIPVisionEmbeddingsDoc[] = R"(# CLIPVisionEmbeddings

CLIP-L's embeddings as DeepSeek-OCR runs them (`clip_sdpa.CLIPVisionEmbeddings.forward(pixel_values,
patch_embeds)`): the SAM encoder's 1024-channel q×q map *is* the patch embeddings, so the module's own patch
convolution never runs. The CLS vector is prepended and the position table (257 × 1024, interpolated when
q ≠ 16) is added:

```
pos = position_embedding(position_ids)                    # the whole 257 × h table
if q != 16: pos = cat([pos[0], bicubic_aa(pos[1:] as 16×16 → q×q)])   # get_abs_pos
x = cat([class_embedding, patch_embeds], dim=1) + pos      # B × N × h
```

There are no children: everything is this layer's own glue.

## Symbols

B = images, q = tokens per side (16 at a 1024 view, 10 at a 640 tile), N = 1 + q², h = `clip_hidden` (1024),
P₀ = `clip_positions` (257), s₀ = √(P₀ − 1) = 16, k = `clip_patch` (14), bw / ba = weight / activation bytes,
ρ = 1 when q ≠ s₀ (the table is resized) else 0, π = 0 when the layer shares its weights (a tile instance of the
same module: `shared_weights`) else 1. Position ids are int64 (a registered `arange` buffer): 8 bytes each.

## Parameters (own)

- `class_embedding` h, `patch_embedding` Conv2d 3 → h, k × k, no bias: 3·h·k² = 602,112, `position_embedding`
  P₀·h = 263,168; together 866,304, times π. The patch convolution is present in the checkpoint but **unused**:
  it counts in parameters and weight bytes only — no FLOPs, no traffic.
- weight_bytes = bw · parameters (backward: their gradients).

## Forward (own glue)

| kernel | CUDA FLOPs | bytes read | bytes written |
|---|---|---|---|
| position lookup (all P₀ rows) | 0 | bw·P₀·h + 8·P₀ | bw·P₀·h |
| ρ: contiguous copy of the 16×16 grid | 0 | bw·(P₀−1)·h | bw·(P₀−1)·h |
| ρ: bicubic antialiased resize s₀² → q² in fp32 (casts included) | 2·h·S·(S + q) | see below | see below |
| ρ: cat of the CLS position and the resized grid | 0 | bw·N·h | bw·N·h |
| cat(CLS, patch_embeds) (the CLS vector read once, broadcast) | 0 | bw·h + ba·B·q²·h | ba·B·N·h |
| + positions (broadcast over images) | B·N·h | ba·B·N·h + bw·N·h | ba·B·N·h |

Resize (PyTorch's `upsample_gen2d_aa_out_frame`): S = Σ over the q outputs of one axis of the taps read, with
scale = s₀/q, support = 2·scale (scale ≥ 1; else 2), center = scale·(i + ½), taps = min(⌊center + support + ½⌋, s₀) −
max(⌊center − support + ½⌋, 0); 16 → 10 gives S = 4+6+6+7+6+6+7+6+6+4 = 58. Per output element and channel the
kernel sums ysize rows of xsize taps then the ysize rows: 2·ysize·(xsize + 1) FLOPs, 2·h·S·(S + q) in all
(8,077,312 at q = 10). Its bytes: cast to fp32 (read bw, write 4 bytes per source element), kernel (read 4·s₀²·h,
write 4·q²·h), cast back (read 4·q²·h, write bw·q²·h); the casts vanish when bw = 4. Weight computation per output
position (O(q·S)) is not counted.

- tc_flops = 0 (nothing here is a matmul).
- activation_bytes = every byte written above (the position table and its copies are activation-class tensors).
- live_bytes = the largest (inputs + outputs) of one kernel, parameters excluded.

## Backward (own glue)

| kernel | CUDA FLOPs | bytes read | bytes written |
|---|---|---|---|
| d positions = Σ over images of dY (dx = dY passes through, no kernel) | B·N·h | ba·B·N·h | bw·N·h |
| cat backward: d patch_embeds, d CLS = Σ over images of dY[:, 0] | B·h | ba·B·N·h | ba·B·q²·h + bw·h |
| ρ: split of the CLS position and the grid (the cat's bytes moved back) | 0 | bw·N·h | bw·N·h |
| ρ: resize adjoint (wx·wy·dy added into each tap pair), the same bytes moved back | 3·h·S² | forward's written | forward's read |
| ρ: grid copy moved back | 0 | bw·(P₀−1)·h | bw·(P₀−1)·h |
| lookup backward: scatter-add into the table gradient | P₀·h | bw·P₀·h + 8·P₀ | bw·P₀·h |

- activation_bytes = the gradients written, the parameters' own (d table, d CLS) excluded: they are weight_bytes.
- tc_flops = 0, kv_cache_bytes = 0; live_bytes = the largest kernel, parameter gradients excluded.

Conventions: see docs/metrics.md.
)";

class CLIPVisionEmbeddings final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(CLIPVisionEmbeddings, MM_CATEGORY_COMPOSITE, kCLIPVisionEmbeddingsDoc)
  CLIPVisionEmbeddings(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images, uint64_t q);

  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  std::string shapes() const override;

 private:
  uint64_t images_;           // B
  uint64_t q_;                // tokens per side
  uint64_t hidden_;           // h
  uint64_t positions_;        // P₀
  uint64_t grid0_;            // s₀ = √(P₀ − 1)
  double patch_conv_params_;  // 3·h·k², unused at run time
  bool shared_;               // weights owned by another instance
  double bw_, ba_;            // bytes per weight / activation element
};

}  // namespace deepseek_ocr
