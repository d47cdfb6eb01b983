// Attention: SAM ViT-B's multi-head attention with decomposed relative position embeddings.
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kAttentionDoc[] = R"(# Attention

SAM ViT-B's attention (`sam_vary_sdpa.Attention`, `use_rel_pos = True`) over W independent S×S grids: the 14×14
windows of a windowed `Block` (W = images × windows) or the whole g×g grid of a global one (W = images). With
decomposed relative positions (MViTv2) passed to `F.scaled_dot_product_attention` as an additive mask:

```
qkv = qkv(x).reshape(W, n, 3, H, C).permute(2, 0, 3, 1, 4).reshape(3, W·H, n, C)   # n = S²
Rh, Rw = get_rel_pos(S, S, rel_pos_h), get_rel_pos(S, S, rel_pos_w)   # (2S−1 rows, resized if needed) → S×S×C
rel_h = einsum("bhwc,hkc->bhwk", q, Rh); rel_w = einsum("bhwc,wkc->bhwk", q, Rw)   # W·H × S × S × S each
bias = rel_h[..., None] + rel_w[..., None, :]                         # W·H × n × n, materialised
x = proj(scaled_dot_product_attention(q, k, v, attn_mask=bias))
```

| child | op | shape |
|---|---|---|
| `qkv` | core `Linear`, bias | W·n × D → 3D |
| `sdpa` | core `ScaledDotProductAttention`, non-causal | W sequences of n tokens, H heads of C |
| `proj` | core `Linear`, bias | W·n × D → D |
| (own glue) | rel-pos tables, their resize and gathers, the qkv head-split copy, the two einsums, the bias | below |

## Symbols

W = images × windows (windowed) or images (global); S = grid side (14 windowed; g = view/16 global); n = S²;
H = `sam_heads` (12); C = D/H (64); D = `sam_embed_dim` (768); L = the side the tables were trained for (14
windowed, 64 global), T = 2L − 1 table rows, R = 2S − 1 rows used; E = n² score (= bias) entries per (grid, head);
ρ = 1 when R ≠ T (the tables are resized: global blocks at views other than 1024) else 0; σ = 1 when W > 1 else 0;
ε = 1 for the eager attention implementation, 0 for flash; π = 0 with `shared_weights` else 1; ba, bw activation
and weight bytes; indices are int64 (8 bytes).

## Parameters (own)

`rel_pos_h`, `rel_pos_w`: 2·T·C·π (3,456 windowed, 16,256 global: the tables stay (2·64−1)×64 whatever the view).
With the children: windowed 2,365,824 + 3,456, global 2,365,824 + 16,256. weight_bytes = bw · parameters.

## Forward (own glue)

| kernel | TC FLOPs | CUDA FLOPs | bytes read | bytes written |
|---|---|---|---|---|
| ρ: linear resize of each table T → R rows in fp32 (×2) | 0 | 3·R·C each | bw·T·C + 4·T·C + 4·R·C | 4·T·C + 4·R·C + bw·R·C |
| gather Rh, Rw (S² rows of C each, int64 indices) | 0 | 0 | 2·(bw·n·C + 8·n) | 2·ba·n·C |
| σ: head split (`reshape` of the permuted qkv copies it unless W = 1) | 0 | 0 | 3·ba·W·n·D | 3·ba·W·n·D |
| einsums rel_h, rel_w | 2 × 2·W·H·n·S·C | 0 | 2·(ba·W·n·D + ba·n·C) | 2·ba·W·H·n·S |
| bias = rel_h + rel_w (broadcast) | 0 | W·H·E | 2·ba·W·H·n·S | ba·W·H·E |
| bias added to the scores inside SDPA | 0 | W·H·E | ba·W·H·E·(1 + ε) | ε·ba·W·H·E |

- The resize is PyTorch's `upsample_linear1d` (w0·x0 + w1·x1 per output: 3 FLOPs), with the `.to(float32)`
  and `.to(dtype)` casts as copies (none when bw = 4). It never runs in windowed blocks (S = L = 14) nor in global
  blocks of a 1024 view (S = L = 64); a 640 view resizes 127 → 79 rows.
- The bias matrix is materialised because the vendor code passes `rel_h + rel_w` as `attn_mask`: it is counted
  even under flash (whose fused kernel then reads it: one read, one add per entry); under eager the add also reads
  and writes the score matrix. Index arithmetic of `get_rel_pos` (O(S²) per table) is not counted.
- Head-merge before `proj` and the reshapes around the einsums are views (not counted).
- tc_flops = 4·W·H·n·S·C; activation_bytes = every byte written above; live_bytes = the largest kernel, the SDPA
  kernel counted with its Q, K, V, O and the bias: ba·(4·W·n·D + W·H·E·(1 + 2ε)).

## Backward (own glue)

| kernel | TC FLOPs | CUDA FLOPs | bytes read | bytes written |
|---|---|---|---|---|
| ρ: resize adjoints (w0·dy, w1·dy added into two rows) | 0 | 2 × 4·R·C | forward's written | forward's read |
| gather backward: scatter-add into the tables' gradients (the Embedding rule) | 0 | 2·n·C | 2·(ba·n·C + 8·n + bw·n·C) | 2·bw·n·C |
| σ: head split moved back (dq, dk, dv into the qkv layout) | 0 | 0 | 3·ba·W·n·D | 3·ba·W·n·D |
| dq accumulation: SDPA's + the two einsums' | 0 | 2·W·n·D | 3·ba·W·n·D | ba·W·n·D |
| einsum backward (dq and dR of each: 2× forward) | 2 × 4·W·H·n·S·C | 0 | 2·(ba·W·H·n·S + ba·W·n·D + ba·n·C) | 2·(ba·W·n·D + ba·n·C) |
| bias backward: d rel_h, d rel_w = sums of dBias over the two broadcast axes | 0 | 2·W·H·E | ba·W·H·E | 2·ba·W·H·n·S |
| flash only: the bias re-read and re-added to recompute P; dBias (= dS) written | 0 | (1−ε)·W·H·E | (1−ε)·ba·W·H·E | (1−ε)·ba·W·H·E |

Under eager, dS is already materialised by core `ScaledDotProductAttention` and is the mask's gradient as is.
activation_bytes = the gradients written, the tables' own gradients (the parameters') excluded; kv_cache_bytes = 0;
live_bytes = the largest backward kernel, the flash SDPA backward counted with its Q, K, V, O, dO, dQ, dK, dV, the
bias and dBias: ba·(8·W·n·D + 2·W·H·E).

## Whole layer

- Tensor-Core FLOPs, forward: 2·W·n·D·3D (qkv) + 2·W·H·E·2C (attention) + 4·W·H·n·S·C (rel-pos) + 2·W·n·D² (proj).
- Backward, Tensor-Core: Linear and the einsums exactly 2× forward; attention 2× (eager) or 2.5× (flash).
- The attention implementation is the workload's `attention.impl` (`flash` by default for the vision encoders).

Conventions: see docs/metrics.md.
)";

class Attention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(Attention, MM_CATEGORY_COMPOSITE, kAttentionDoc)
  // `images_x_windows` grids of `side`×`side` tokens; `rel_pos_len` = the side the relative-position tables were
  // trained for (2·rel_pos_len − 1 rows each).
  Attention(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images_x_windows, uint64_t side,
            uint64_t rel_pos_len);

  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  std::string shapes() const override;

 private:
  uint64_t grids_;       // W
  uint64_t side_;        // S
  uint64_t heads_;       // H
  uint64_t head_dim_;    // C
  uint64_t table_rows_;  // T = 2L − 1
  uint64_t rows_;        // R = 2S − 1
  bool eager_;           // attention implementation
  bool shared_;          // weights owned by another instance
  double bw_, ba_;       // bytes per weight / activation element
};

}  // namespace deepseek_ocr
