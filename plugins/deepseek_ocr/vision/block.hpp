// Block: one SAM ViT-B transformer block, windowed (14×14 windows) or global.
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kBlockDoc[] = R"(# Block

One SAM ViT-B block (`sam_vary_sdpa.Block`), pre-norm, on B images of g×g tokens (channels last):

```
shortcut = x; x = norm1(x)
if window > 0: x, pad_hw = window_partition(x, w)     # pad g up to gp = ⌈g/w⌉·w, cut into (gp/w)² windows
x = attn(x)                                            # Attention with decomposed relative positions
if window > 0: x = window_unpartition(x, w, pad_hw, (g, g))   # reassemble, crop back to g×g
x = shortcut + x
x = x + mlp(norm2(x))
```

| child | op | shape |
|---|---|---|
| `norm1` | core `LayerNorm` (ε 1e-6), bias | B·g² × D |
| `attn` | `Attention` | windowed: B·(gp/w)² windows of w×w; global: B grids of g×g |
| `residual_1` | core `Add` | B·g² × D |
| `norm2` | core `LayerNorm`, bias | B·g² × D |
| `mlp` | `MLPBlock` | B·g² tokens |
| `residual_2` | core `Add` | B·g² × D |
| (own glue, windowed) | pad, partition, unpartition, crop | below |

## Symbols

B = images, g = view/16 grid side (64 at 1024, 40 at 640), D = `sam_embed_dim` (768), w = `sam_window` (14) in
a windowed block, gp = ⌈g/w⌉·w (70 at g = 64: 25 windows; 42 at g = 40: 9 windows), ν = 1 when gp > g (padding
and cropping happen) else 0, ba = activation bytes. A global block (window 0) has no glue: its own metrics are 0.

## Forward (own glue, windowed blocks): data movement, no arithmetic

| kernel | bytes read | bytes written |
|---|---|---|
| ν: `F.pad` of the g×g map to gp×gp (zeros written into the margin) | ba·B·g²·D | ba·B·gp²·D |
| partition: `permute(...).contiguous()` into windows | ba·B·gp²·D | ba·B·gp²·D |
| unpartition: `permute(...).contiguous()` back to the padded map | ba·B·gp²·D | ba·B·gp²·D |
| ν: crop `[:, :g, :g].contiguous()` | ba·B·g²·D | ba·B·g²·D |

- io_bytes = ba·B·D·(ν·(3g² + gp²) + 4·gp²) (at 1024, B = 1: 2·768·(3·4096 + 4900 + 4·4900) = 56,506,368 bytes).
- tc_flops = cuda_flops = 0 (copies); parameters = weight_bytes = 0 (the block's parameters are its children's).
- activation_bytes = the bytes written; live_bytes = the largest copy, 2·ba·B·gp²·D.
- Note the padding's cost downstream: `attn` (qkv, attention, proj) runs on the B·gp² padded tokens, `norm1`,
  `norm2`, `mlp` and the residual adds on the B·g² real ones.

## Backward (own glue): each copy's gradient is copied back

The same bytes move with reads and writes swapped (the pad's backward is a slice, the crop's a zero-padded copy);
no FLOPs; activation_bytes = the gradients written (= the forward's bytes read).

## Whole block (children + glue)

- Parameters: 2·2D (norms) + Attention + MLPBlock = 7,091,328 windowed (tables 2·27·64), 7,104,128 global
  (tables 2·127·64).
- Tensor-Core FLOPs, forward, with P = B·gp² padded tokens windowed (B·g² global), n = w² (g² global), W = P/n:
  2·P·D·3D + 2·W·H·n²·2C + 4·W·H·n·√n·C + 2·P·D² + 4·B·g²·D·F.
- Backward, Tensor-Core: 2× forward for every matmul (Linear, einsums), 2.5× for flash attention (2× eager).

Conventions: see docs/metrics.md.
)";

class Block final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(Block, MM_CATEGORY_COMPOSITE, kBlockDoc)
  // window = 0: global attention over the whole grid.
  Block(const modelmeter::StageContext& ctx, const VisionConfig& v, const ViewShape& view, uint64_t window);

  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  std::string shapes() const override;

 private:
  uint64_t images_;  // B
  uint64_t grid_;    // g
  uint64_t window_;  // w, 0 = global
  uint64_t padded_;  // gp (= g when global)
  uint64_t dim_;     // D
  double ba_;        // bytes per activation element
};

}  // namespace deepseek_ocr
