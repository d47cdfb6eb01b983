// HfMlaAttention: DeepSeek-V2 multi-head latent attention (DeepseekV2Attention), absorbed form.
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "hf_config.hpp"

namespace hf_decoder {

inline constexpr char kHfMlaAttentionDoc[] = R"(# HfMlaAttention

DeepSeek-V2's multi-head latent attention as serving engines run it (the absorbed form): keys and values
are compressed into one latent c_KV of `kv_lora_rank` = c channels plus a shared rotary key k_pe of
`qk_rope_head_dim` = d_r channels; W_UK is folded into the query and W_UV applied to the latent context, so
the cache and the attention core work on c + d_r channels with one KV "head".

| child | class / op | shape |
|---|---|---|
| `q_proj` (`q_lora_rank: null`) | core `Linear` | T × h → H·(d_n + d_r) |
| `q_a_proj`, `q_a_layernorm`, `q_b_proj` (with a q LoRA rank r_q) | `Linear`, `HfRMSNorm`, `Linear` | h → r_q → H·(d_n + d_r) |
| `kv_a_proj_with_mqa` | core `Linear` | T × h → c + d_r |
| `kv_a_layernorm` | `HfRMSNorm` | T × c |
| `kv_b_proj_uk` | core `Linear`, H groups | T·H rows × d_n → c (q_nope · W_UK) |
| `rotary_emb` | `HfRotaryEmbedding` | T positions, H query heads + 1 key head, d_r |
| `attention` | core `ScaledDotProductAttention`, 1 KV head, K = [c_KV, k_pe], V = c_KV (shared) | B × H × q × context |
| `kv_b_proj_uv` | core `Linear`, H groups | T·H rows × c → d_v (context · W_UV) |
| `o_proj` | core `Linear` | T × H·d_v → h |

Parameters equal the checkpoint's: `kv_b_proj` (c → H·(d_n + d_v)) is split into its W_UK and W_UV halves.
The op list is the SDK's `modelmeter::blocks::mla_attention`, shared with DeepSeek-OCR's
`DeepseekV2FlashAttention2`. Conventions: see docs/metrics.md.
)";

class HfMlaAttention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfMlaAttention, MM_CATEGORY_ATTENTION, kHfMlaAttentionDoc)
  HfMlaAttention(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                 const modelmeter::blocks::AttentionPositions& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace hf_decoder
