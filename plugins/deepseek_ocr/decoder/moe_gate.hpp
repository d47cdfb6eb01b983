// MoEGate: the MoE router (router Linear, softmax scores, greedy top-k selection).
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kMoEGateDoc[] = R"(# MoEGate

The DeepSeek-V2 router as Hugging Face's `MoEGate` runs it at inference (`scoring_func = softmax`,
`topk_method = greedy`): `logits = x · Wᵀ` (no bias), `scores = softmax(logits)` over the E experts (in fp32),
`topk_weight, topk_idx = topk(scores, k)`, then `topk_weight · routed_scaling_factor` (the
`norm_topk_prob = false` branch, DeepSeek-V2's default).

| child | op | shape |
|---|---|---|
| `weight` | core `Linear`, no bias | T × h → E |
| `softmax` | core `Softmax` | T × E |
| (own glue) | greedy top-k and the scaling of the k weights | T rows of E scores → T × k weights and ids |

## Symbols

T = tokens in the step, h = `hidden_size`, E = `n_routed_experts`, k = `num_experts_per_tok`,
ba = activation bytes; expert ids are int32 (4 bytes each, like token ids).

## Own glue (top-k), this layer's formulas

| metric | forward | backward |
|---|---|---|
| tc_flops | 0 | 0 |
| cuda_flops | k·E·T + k·T | k·T |
| io_bytes | ba·T·E + (ba + 4)·T·k | (ba + 4)·T·k + ba·T·E |
| weight_bytes, parameters | 0 | 0 |
| activation_bytes | (ba + 4)·T·k | ba·T·E |
| kv_cache_bytes | 0 | 0 |
| live_bytes | ba·T·E + (ba + 4)·T·k | (ba + 4)·T·k + ba·T·E |

- Forward FLOPs: greedy top-k as k passes over the E scores, one comparison each (k·E per token), then the
  k chosen weights times `routed_scaling_factor` (k per token).
- Forward traffic: read the T × E scores; write the T × k weights and the T × k int32 ids.
- Backward: d scores = dw · `routed_scaling_factor` at the k chosen entries (k per token); it reads dw and the
  ids and writes the dense T × E d scores (zero off the chosen entries).

The scaling is fused into the top-k kernel (one read of the scores, one write of the weights and ids).

## Whole gate (children + glue)

- Parameters: h·E (81,920 at h = 1280, E = 64).
- Tensor-Core FLOPs: 2·T·h·E forward, 4·T·h·E backward.
- CUDA-core FLOPs, forward: softmax 5·T·E + top-k k·E·T + scaling k·T.
- Not counted: the auxiliary load-balancing loss (`aux_loss_alpha`, training only), which is not part of the
  forward inference computation nor of the gradient of the routing weights.
- Nothing depends on the context: over a range of decode steps, flows are n × one step.

Conventions: see docs/metrics.md.
)";

// The SDK's top-k router (modelmeter::blocks::TopKRouterLayer): the `weight` and `softmax` children and the
// top-k glue with the routed_scaling_factor product (1 FLOP per chosen weight).
class MoEGate final : public modelmeter::blocks::TopKRouterLayer {
 public:
  MODELMETER_LAYER_CLASS(MoEGate, MM_CATEGORY_MOE_ROUTING, kMoEGateDoc)
  MoEGate(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, double tokens);
};

}  // namespace deepseek_ocr
