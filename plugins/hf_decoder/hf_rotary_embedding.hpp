// HfRotaryEmbedding: rotary position embedding of the query and key heads (cos/sin table + rotation).
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

namespace hf_decoder {

inline constexpr char kHfRotaryEmbeddingDoc[] = R"(# HfRotaryEmbedding

`LlamaRotaryEmbedding` (and its copies in Mistral, Qwen2, Mixtral, DeepSeek-V2) plus `apply_rotary_pos_emb`:
one kernel builds the cos/sin tables for the T positions from `inv_freq`, a second rotates the Hq query and
Hk key heads over d rotary channels (`q·cos + rotate_half(q)·sin`). `rope_scaling` variants (linear, dynamic,
YaRN, llama3) change the table values, not the cost, and are ignored.

## Symbols

T = tokens in one step, Hq / Hk = query / key heads rotated, d = rotary channels per head, ba = activation
bytes; R = T·(Hq + Hk)·d rotated elements, C = T·d elements of one of cos, sin; ids int32, inv_freq fp32.

| metric | forward | backward |
|---|---|---|
| tc_flops | 0 | 0 |
| cuda_flops | C/2 + 2·C + 3·R | 3·R |
| io_bytes | 4·T + 4·d/2 + 2·ba·C + ba·(2·R + 2·C) | ba·(2·R + 2·C) |
| activation_bytes | ba·(R + 2·C) | ba·R |
| live_bytes | max(4·T + 2·ba·C, ba·(2·R + 2·C)) | ba·(2·R + 2·C) |

The formulas live in the SDK (`modelmeter::blocks::rotary_embedding`), shared with DeepSeek-OCR's
`LlamaRotaryEmbedding`. Conventions: see docs/metrics.md.
)";

// The metrics, shapes line and checks are the SDK's (modelmeter::blocks::RotaryEmbeddingLayer).
class HfRotaryEmbedding final : public modelmeter::blocks::RotaryEmbeddingLayer {
 public:
  MODELMETER_LAYER_CLASS(HfRotaryEmbedding, MM_CATEGORY_POSITIONAL, kHfRotaryEmbeddingDoc)
  HfRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads, uint64_t k_heads,
                    uint64_t rope_dim);
};

}  // namespace hf_decoder
