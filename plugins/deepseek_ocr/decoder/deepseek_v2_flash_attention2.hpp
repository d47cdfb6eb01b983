// DeepseekV2FlashAttention2: DeepSeek-V2 multi-head latent attention (MLA), modeled in its weight-absorbed form.
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kDeepseekV2FlashAttention2Doc[] = R"(# DeepseekV2FlashAttention2

DeepSeek-V2's multi-head latent attention (MLA), used when `use_mla` is on (not in the DeepSeek-OCR checkpoint;
a what-if variant). Keys and values are compressed into one latent vector c_KV of `kv_lora_rank` channels per
token plus a shared RoPE key k_pe of `qk_rope_head_dim` channels.

**What is modeled.** Hugging Face's eager `DeepseekV2Attention` (and its flash variant) decompresses c_KV
through `kv_b_proj` into full per-head K and V and caches those. This class models instead the
**weight-absorbed form** serving engines run (vLLM, SGLang, FlashMLA): `kv_b_proj`'s weight is split into
W_UK (c → H·d_n) and W_UV (c → H·d_v); W_UK is absorbed into the query side and W_UV applied after attention,
so attention runs directly on the latent and the **KV cache holds only (c + d_r) channels per token** (one
shared "head", MQA-like): the "smaller KV cache" of MLA. The same absorbed form is used for prefill and decode.

| child | class / op | shape |
|---|---|---|
| `q_proj` (q_lora_rank = 0) | core `Linear`, no bias | T × h → H·(d_n + d_r) |
| `q_a_proj` (q_lora_rank > 0) | core `Linear`, no bias | T × h → r_q |
| `q_a_layernorm` | `DeepseekV2RMSNorm` | T × r_q |
| `q_b_proj` | core `Linear`, no bias | T × r_q → H·(d_n + d_r) |
| `kv_a_proj_with_mqa` | core `Linear`, no bias | T × h → c + d_r |
| `kv_a_layernorm` | `DeepseekV2RMSNorm` | T × c |
| `kv_b_proj_uk` | core `Linear`, G = H groups (W_UK absorbed into q) | T·H rows × d_n → c |
| `rotary_emb` | `LlamaRotaryEmbedding` | T tokens, H query heads, 1 key head, d_r rotated channels |
| `attention` | core `ScaledDotProductAttention`, `kv_shared` | causal, H heads, 1 KV head, head dim c + d_r, value dim c, KV cache |
| `kv_b_proj_uv` | core `Linear`, G = H groups (W_UV) | T·H rows × c → d_v |
| `o_proj` | core `Linear`, no bias | T × H·d_v → h |

## Symbols

h = `hidden_size`, H = `num_attention_heads`, d_n = `qk_nope_head_dim`, d_r = `qk_rope_head_dim`,
d_v = `v_head_dim`, c = `kv_lora_rank`, r_q = `q_lora_rank`, B = batch, q = new positions per sequence,
K = context at the step, T = B·q, E = score entries per (sequence, head) (flash causal: q·(K − q) + q·(q + 1)/2),
bk = KV-cache bytes.

## Formulas (sums of the children's; no glue of its own)

- Parameters: q path h·H·(d_n + d_r) (or h·r_q + r_q + r_q·H·(d_n + d_r)), kv_a h·(c + d_r) + c (norm),
  kv_b H·d_n·c + H·c·d_v (= `kv_b_proj`'s c·H·(d_n + d_v)), o_proj H·d_v·h.
- Tensor-Core FLOPs, forward: the projections 2·rows·in·out each (absorption: 2·T·H·d_n·c and 2·T·H·c·d_v),
  attention 2·B·H·E·((c + d_r) + c): scores over c + d_r channels, context over the c latent channels.
  The absorbed form trades compute for memory: its attention FLOPs exceed the decompressed form's
  2·B·H·E·((d_n + d_r) + d_v) when c > d_n.
- KV cache: one shared latent per position, (c + d_r)·bk bytes per token per layer (`kv_shared`: V is the
  first c channels of the cached K), versus 2·H·d·bk for multi-head attention.
- Backward, Tensor-Core: projections 2× forward; attention as core `ScaledDotProductAttention` (flash: B·H·E·(6·dq + 4·dv)).
- Decode: core `ScaledDotProductAttention` sums its flows over the growing context in closed form; the rest does not depend
  on the context.

Assumptions: `attention_bias` is false (no projection biases); the softmax scale 1/√(d_n + d_r) is folded into
the attention kernel; the projections write straight into the slices of the concatenated q = [q_nope·W_UK,
q_pe] and of the cache entry [c_KV, k_pe] (no copies); the attention implementation is the workload's
`attention.impl`.

Conventions: see docs/metrics.md.
)";

class DeepseekV2FlashAttention2 final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(DeepseekV2FlashAttention2, MM_CATEGORY_ATTENTION, kDeepseekV2FlashAttention2Doc)
  DeepseekV2FlashAttention2(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape);

  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
