// HfAttention: grouped-query self-attention with rotary embedding (LlamaAttention, MistralAttention,
// Qwen2Attention, MixtralAttention).
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "hf_config.hpp"

namespace hf_decoder {

inline constexpr char kHfAttentionDoc[] = R"(# HfAttention

Self-attention with H query heads and H_kv key/value heads (GQA: H_kv divides H; MHA: H_kv = H) of head
dimension d (`head_dim`, else h / H), rotary embedding on q and k, a KV cache, and the output projection.

| child | class / op | shape |
|---|---|---|
| `q_proj` | core `Linear` (+ bias: Qwen2, Llama `attention_bias`) | T × h → H·d |
| `k_proj`, `v_proj` | core `Linear` (+ bias likewise) | T × h → H_kv·d |
| `rotary_emb` | `HfRotaryEmbedding` | T positions, H + H_kv heads, d |
| `attention` | core `ScaledDotProductAttention`, or `HfSlidingWindowAttention` (Mistral) | B × H × q × context |
| `o_proj` | core `Linear` (+ bias: Llama `attention_bias`) | T × H·d → h |

T = B·q tokens of the step. GQA shrinks k/v projections, the KV cache and its reads by H_kv / H; the score and
context matmuls stay 2·B·H·E·(d + d) (E score entries per head), whatever H_kv is.

Causal masking: `attention.impl = flash` computes the lower triangle (S(S+1)/2 entries per head at prefill),
`eager` the full S×S square under the mask (docs/metrics.md §3).

Conventions: see docs/metrics.md.
)";

class HfAttention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfAttention, MM_CATEGORY_ATTENTION, kHfAttentionDoc)
  HfAttention(const modelmeter::StageContext& ctx, const HfConfig& cfg,
              const modelmeter::blocks::AttentionPositions& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace hf_decoder
