// LlamaFlashAttention2: the decoder's multi-head self-attention (DeepSeek-OCR's checkpoint, no MLA).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kLlamaFlashAttention2Doc[] = R"(# LlamaFlashAttention2

Multi-head causal self-attention of the DeepSeek-V2 decoder when `use_mla` is off (the DeepSeek-OCR
checkpoint): Hugging Face's `LlamaFlashAttention2` with grouped K/V heads, RoPE over the whole head and a KV
cache. A composite of core ops and one plugin layer, with no glue of its own:

| child | op | shape |
|---|---|---|
| `q_proj` | core `Linear`, no bias | T × h → H·d |
| `k_proj` | core `Linear`, no bias | T × h → Hk·d |
| `v_proj` | core `Linear`, no bias | T × h → Hk·d |
| `rotary_emb` | `LlamaRotaryEmbedding` | T tokens, H query heads, Hk key heads, d rotated channels |
| `attention` | core `ScaledDotProductAttention` | causal; B sequences, H heads, Hk KV heads, head dim d, q over K keys; KV cache |
| `o_proj` | core `Linear`, no bias | T × H·d → h |

## Symbols

h = `hidden_size`, H = `num_attention_heads`, Hk = `num_key_value_heads`, d = h / H (head dim), B = batch,
q = new positions per sequence (prefill: P; decode: 1), K = context at the step (prefill: P; decode step s:
P + 1 + s), T = B·q tokens, E = score entries per (sequence, head).

## Formulas (sums of the children's; each child's page has its full table)

- Parameters: h·H·d + 2·h·Hk·d + H·d·h (= 4·h² = 6,553,600 at h = 1280, H = Hk = 10, d = 128).
- Tensor-Core FLOPs, forward: projections 2·T·h·(H·d + 2·Hk·d + H·d), plus attention 2·B·H·E·(d + d) with
  E = q·(K − q) + q·(q + 1)/2 under flash (prefill: P·(P + 1)/2; decode: K) and E = q·K under eager.
- CUDA-core FLOPs: RoPE (`LlamaRotaryEmbedding`) + softmax 6·B·H·E (core `ScaledDotProductAttention`).
- KV cache: `attention` appends each new position's K and V (2·Hk·d elements at the KV-cache precision) and
  reads all K positions from the cache; cache bytes per token per layer = 2·Hk·d·bk.
- Backward, Tensor-Core: projections 2× forward (Linear rule); attention 2× forward under eager and
  B·H·E·(6·d + 4·d) = 2.5× forward under flash (it recomputes QKᵀ).
- Decode: the context grows by one position per step; core `ScaledDotProductAttention` sums its flows over a range of steps in
  closed form; the projections and RoPE do not depend on the context.

Assumptions: the attention implementation (`flash` or `eager`) is the workload's `attention.impl`, whatever the
class's name; the transposes and reshapes between the projections and the attention kernel are views (no
copies); the KV cache is a preallocated buffer the attention kernel appends to.

Conventions: see docs/metrics.md.
)";

class LlamaFlashAttention2 final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(LlamaFlashAttention2, MM_CATEGORY_ATTENTION, kLlamaFlashAttention2Doc)
  LlamaFlashAttention2(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape);

  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
