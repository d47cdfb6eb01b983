// HfDecoderLayer: one pre-norm decoder block (LlamaDecoderLayer and its copies).
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "hf_config.hpp"

namespace hf_decoder {

inline constexpr char kHfDecoderLayerDoc[] = R"(# HfDecoderLayer

`h = x + self_attn(input_layernorm(x)); y = h + mlp(post_attention_layernorm(h))`.

| child | class / op | shape |
|---|---|---|
| `input_layernorm` | `HfRMSNorm` | T × h |
| `self_attn` | `HfAttention` (Llama, Mistral, Qwen2, Mixtral) or `HfMlaAttention` (DeepSeek-V2) | see its page |
| `attn_residual` | core `Add` | T × h |
| `post_attention_layernorm` | `HfRMSNorm` | T × h |
| `mlp` | `HfMLP` (dense) or `HfSparseMoeBlock` (Mixtral; DeepSeek-V2 layers ≥ `first_k_dense_replace` with idx % `moe_layer_freq` = 0) | T × h |
| `mlp_residual` | core `Add` | T × h |

No own ops. Conventions: see docs/metrics.md.
)";

class HfDecoderLayer final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfDecoderLayer, MM_CATEGORY_COMPOSITE, kHfDecoderLayerDoc)
  HfDecoderLayer(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                 const modelmeter::blocks::AttentionPositions& shape, uint64_t layer_idx);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace hf_decoder
