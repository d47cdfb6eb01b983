// LlamaRotaryEmbedding: rotary position embedding (RoPE) of the query and key heads, a leaf with its own formulas.
#pragma once

#include <cstdint>
#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

namespace deepseek_ocr {

inline constexpr char kLlamaRotaryEmbeddingDoc[] = R"(# LlamaRotaryEmbedding

Rotary position embedding as Hugging Face's `LlamaRotaryEmbedding` and `apply_rotary_pos_emb` compute it
(DeepSeek-OCR's decoder runs `LlamaFlashAttention2`, which calls its `rotary_emb` in every layer). Two kernels:

1. **cos/sin**: per token, the angles `freqs = position · inv_freq` (d/2 of them), `emb = cat(freqs, freqs)`
   (width d), then `cos = emb.cos()` and `sin = emb.sin()`, cast to the activation dtype.
2. **rotation** of the rotated part of every query and key head:
   `x_embed = x · cos + rotate_half(x) · sin`, with `rotate_half(x) = cat(−x₂, x₁)`.

A leaf: its formulas are its own (no core op does RoPE). No parameters: `inv_freq` is a buffer (d/2 fp32
values), not a weight.

## Symbols

| symbol | meaning |
|---|---|
| T | tokens in the step (batch × new positions) |
| Hq, Hk | query heads and key heads that are rotated |
| d | rotated channels per head (`rope_dim`: the whole head in MHA, `qk_rope_head_dim` in MLA) |
| R = T·(Hq + Hk)·d | rotated elements (q and k together) |
| C = T·d | elements of one table, cos or sin |
| ba | bytes per activation element |

## Formulas

| metric | forward | backward |
|---|---|---|
| tc_flops | 0 | 0 |
| cuda_flops | C/2 + 2·C + 3·R | 3·R |
| io_bytes | 4·T + 4·d/2 + 2·ba·C (cos/sin kernel) + ba·R + 2·ba·C + ba·R (rotation) | ba·R + 2·ba·C + ba·R |
| weight_bytes, parameters | 0 | 0 |
| activation_bytes | ba·(R + 2·C) (rotated q/k; cos and sin, kept for backward) | ba·R (dq, dk) |
| kv_cache_bytes | 0 | 0 |
| live_bytes | max(4·T + 2·ba·C, ba·(2·R + 2·C)) (the larger kernel) | ba·(2·R + 2·C) |

- Forward FLOPs: d/2 angle multiplies per token (the outer product position × inv_freq has an inner dimension
  of 1: one multiply per entry, CUDA cores), one `cos` and one `sin` per element of the width-d `emb` (the GPU
  has an instruction for each: 1 FLOP each), and **3 FLOPs per rotated element**: x·cos, rotate_half(x)·sin
  and their sum; the negation inside `rotate_half` is folded into the sign of the product (free).
  `attention_scaling` is 1 for the default RoPE type and is not counted.
- Forward traffic: the cos/sin kernel reads the position ids (int32, 4 bytes each, like token ids) and the
  fp32 `inv_freq` buffer, and writes cos and sin; the rotation reads the q and k parts to rotate, cos and sin
  once each, and writes the rotated parts (not in place).
- Backward: positions are integers, so only q and k get gradients: dx = dy·cos + rotate_halfᵀ(dy·sin), again
  3 FLOPs per element; it reads dy, cos and sin and writes dx.
- The cost does not depend on the context length: over a range of decode steps, flows are n × one step.

Conventions: see docs/metrics.md.
)";

// The metrics, shapes line and checks are the SDK's (modelmeter::blocks::RotaryEmbeddingLayer).
class LlamaRotaryEmbedding final : public modelmeter::blocks::RotaryEmbeddingLayer {
 public:
  MODELMETER_LAYER_CLASS(LlamaRotaryEmbedding, MM_CATEGORY_POSITIONAL, kLlamaRotaryEmbeddingDoc)
  LlamaRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads, uint64_t k_heads,
                       uint64_t rope_dim);
};

}  // namespace deepseek_ocr
