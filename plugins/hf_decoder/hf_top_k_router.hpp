// HfTopKRouter: the MoE router (gate linear, softmax, top-k): Mixtral's `gate`, DeepSeek-V2's MoEGate.
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "hf_config.hpp"

namespace hf_decoder {

inline constexpr char kHfTopKRouterDoc[] = R"(# HfTopKRouter

The router of a mixture-of-experts block: router logits `x·W_gᵀ` (h → E, no bias), softmax over the E
experts, greedy top-k, then per chosen weight either the routed scaling factor (DeepSeek-V2,
`norm_topk_prob: false`: 1 FLOP) or the renormalisation of the k weights to sum to one (Mixtral; DeepSeek-V2
with `norm_topk_prob: true`: a sum and a divide, 2 FLOPs). The order of softmax and top-k differs between
the two families; the cost model is the same.

| child | op | shape |
|---|---|---|
| `weight` | core `Linear` | T × h → E |
| `softmax` | core `Softmax` | T × E |

## Own glue (top-k), this layer's formulas

T = tokens in one step, E = routed experts, k = experts per token, ba = activation bytes, ids int32,
c = 1 (scaling) or 2 (renormalisation).

| metric | forward | backward |
|---|---|---|
| cuda_flops | k·E·T + c·k·T | c·k·T |
| io_bytes | ba·T·E + (ba + 4)·T·k | (ba + 4)·T·k + ba·T·E |
| activation_bytes | (ba + 4)·T·k | ba·T·E |
| live_bytes | ba·T·E + (ba + 4)·T·k | (ba + 4)·T·k + ba·T·E |

The layer is the SDK's `modelmeter::blocks::TopKRouterLayer` (formulas: `topk_router`), shared with DeepSeek-OCR's `MoEGate`.
Conventions: see docs/metrics.md.
)";

// The SDK's top-k router (modelmeter::blocks::TopKRouterLayer): children and glue.
class HfTopKRouter final : public modelmeter::blocks::TopKRouterLayer {
 public:
  MODELMETER_LAYER_CLASS(HfTopKRouter, MM_CATEGORY_MOE_ROUTING, kHfTopKRouterDoc)
  HfTopKRouter(const modelmeter::StageContext& ctx, const HfConfig& cfg, double tokens);
  std::string shapes() const override;
};

}  // namespace hf_decoder
