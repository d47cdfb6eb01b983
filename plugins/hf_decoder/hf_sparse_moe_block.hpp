// HfSparseMoeBlock: router, routed experts, optional shared experts (MixtralSparseMoeBlock, DeepseekV2MoE).
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "hf_config.hpp"

namespace hf_decoder {

inline constexpr char kHfSparseMoeBlockDoc[] = R"(# HfSparseMoeBlock

A mixture-of-experts feed-forward: the router picks k of E routed experts per token; the token is copied to
each of its experts, every expert (a SwiGLU MLP) runs on its tokens, the outputs are summed with the routing
weights, and (DeepSeek-V2) the shared experts' output — one SwiGLU MLP of n_shared · `moe_intermediate_size`
run on every token — is added. Mixtral: E = `num_local_experts`, k = 2, expert size `intermediate_size`, no
shared experts.

| child | class / op | shape |
|---|---|---|
| `gate` | `HfTopKRouter` | T tokens, h → E, top-k |
| `experts` | `HfMLP`, grouped: G = E weight groups, g touched | T·k token-slots, h → i → h |
| `shared_experts` | `HfMLP` (absent without shared experts) | T tokens, h → n_s·i → h |
| (own glue) | dispatch (copies) and combine (weighted sum + shared add) | see below |

## Experts touched (docs/metrics.md §6)

FLOPs follow the T·k token-slots. Weight traffic follows the distinct experts read in one step; under uniform
routing its expectation is g = E · (1 − (1 − k/E)^T): one decode token at batch 1 reads g = k experts (2 of 8
for Mixtral), a 1024-token prefill reads all of them. Parameters and weight memory count all E experts.

## Own glue

X = T·h, C = T·k·h, W = T·k, I = 4·T·k (int32 permutation ids, bytes), s = 1 with shared experts else 0:

| metric | forward | backward |
|---|---|---|
| cuda_flops | C + T·(k − 1)·h + s·X | 3·C + T·(k − 1)·h |
| io_bytes | ba·(X + C) + I + ba·(C + W + s·X + X) + I | ba·(X + C + W) + I + ba·(C + W + s·X) + ba·(C + X) + I |
| activation_bytes | ba·(C + X) | ba·(C + W + s·X + X) |

## Parallel layouts (docs/parallelism.md)

At tp > 1 and ep = 1 each expert's intermediate size is split over the TP GPUs and one `all_reduce` of T × h
follows the combine. At ep = tp > 1 each GPU holds E/ep whole experts run on T·k/ep copies. At ep > 1 and
tp = 1 (EP over data-parallel GPUs) `dispatch_all_to_all` and `combine_all_to_all` each move (ep − 1)/ep of
T·k·h elements per GPU, and the GPU runs its E/ep experts on T·k copies.

The block (children, parallelism, glue formulas and g) is the SDK's `modelmeter::blocks::SparseMoeLayer`,
shared with DeepSeek-OCR's `DeepseekV2MoE`. Conventions: see docs/metrics.md.
)";

// The SDK's sparse-MoE block (modelmeter::blocks::SparseMoeLayer) builds the children, applies expert and tensor
// parallelism and gives the glue; this class names its router and MLP classes.
class HfSparseMoeBlock final : public modelmeter::blocks::SparseMoeLayer {
 public:
  MODELMETER_LAYER_CLASS(HfSparseMoeBlock, MM_CATEGORY_MOE_ROUTING, kHfSparseMoeBlockDoc)
  HfSparseMoeBlock(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                   const modelmeter::blocks::AttentionPositions& shape);
};

}  // namespace hf_decoder
