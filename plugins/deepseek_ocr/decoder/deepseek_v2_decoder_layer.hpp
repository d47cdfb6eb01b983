// DeepseekV2DecoderLayer: one pre-norm decoder block (attention + dense MLP or MoE, two residual adds).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kDeepseekV2DecoderLayerDoc[] = R"(# DeepseekV2DecoderLayer

One block of the DeepSeek-V2 decoder, pre-norm:
`x = x + self_attn(input_layernorm(x))`, then `x = x + mlp(post_attention_layernorm(x))`.
A composite with no glue of its own:

| child | class / op | shape |
|---|---|---|
| `input_layernorm` | `DeepseekV2RMSNorm` | T × h |
| `self_attn` | `LlamaFlashAttention2` (MHA), or `DeepseekV2FlashAttention2` (MLA) when `use_mla` | see its page |
| `attn_residual` | core `Add` | T × h |
| `post_attention_layernorm` | `DeepseekV2RMSNorm` | T × h |
| `mlp` | `DeepseekV2MoE` on an MoE layer, else `DeepseekV2MLP` (i = `intermediate_size`) | see its page |
| `mlp_residual` | core `Add` | T × h |

A layer is an MoE layer when `n_routed_experts` > 0, its index ≥ `first_k_dense_replace` and
index % `moe_layer_freq` = 0 (DeepSeek-OCR: layer 0 dense, layers 1–11 MoE).

## Symbols

h = `hidden_size`, T = B·q tokens of the step (prefill: the prompt; decode: one per sequence), K = context.

## Formulas (sums of the children's)

- Parameters: attention + MLP/MoE + 2·h (the two norms' γ). DeepSeek-OCR layer 0: 6,553,600 + 26,296,320 +
  2,560 = 32,852,480; layers 1–11: 6,553,600 + 227,164,160 + 2,560 = 233,720,320.
- Residual adds: 1 CUDA FLOP per element, T·h each; 3·ba·T·h traffic each (read two, write one).
- The attention child's flows grow with the decode context (closed-form sums over step ranges in core
  `ScaledDotProductAttention`); everything else is n × one step.

Conventions: see docs/metrics.md.
)";

class DeepseekV2DecoderLayer final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(DeepseekV2DecoderLayer, MM_CATEGORY_COMPOSITE, kDeepseekV2DecoderLayerDoc)
  DeepseekV2DecoderLayer(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape,
                         uint64_t layer_idx);

  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
