// DeepseekV2MoE: the mixture-of-experts feed-forward block (router, routed experts, shared experts).
#pragma once

#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

#include "model_config.hpp"

namespace deepseek_ocr {

inline constexpr char kDeepseekV2MoEDoc[] = R"(# DeepseekV2MoE

The DeepSeek-V2 MoE block as Hugging Face's `DeepseekV2MoE.moe_infer` runs it: the router picks k of E
routed experts per token; the token is copied to each of its experts (sorted by expert), every expert (a
SwiGLU MLP of `moe_intermediate_size`) runs on its tokens, the outputs are put back in token order and summed
with the routing weights, and the shared experts' output (one SwiGLU MLP of n_shared · `moe_intermediate_size`
run on every token) is added.

| child | class / op | shape |
|---|---|---|
| `gate` | `MoEGate` | T tokens, h → E, top-k |
| `experts` | `DeepseekV2MLP`, grouped: G = E weight groups, g touched | T·k token-slots, h → i → h |
| `shared_experts` | `DeepseekV2MLP` (absent when n_shared = 0) | T tokens, h → n_shared·i → h |
| (own glue) | dispatch (permutation copies) and combine (weighted sum + shared add) | see below |

## Symbols

T = tokens in ONE step (B·q: the prompt at prefill, the batch at a decode step), h = `hidden_size`,
i = `moe_intermediate_size`, E = `n_routed_experts`, k = `num_experts_per_tok`, n_s = `n_shared_experts`,
s = 1 if n_s > 0 else 0, ba = activation bytes, expert ids int32 (4 bytes).

## Experts touched (docs/metrics.md §6)

FLOPs follow the T·k token-slots whatever the routing. Weight traffic follows the distinct experts read in the
step; under uniform routing its expectation is

    g = E · (1 − (1 − k/E)^T)

passed to the experts' Linear ops as `groups_touched`: one decode token reads g = k experts (6 of 64 here),
a prefill of 913 tokens reads 64·(1 − (58/64)^913) ≈ 64. Parameters and weight memory count all E experts.

## Own glue, this layer's formulas

Two kernels: **dispatch** gathers the T·k token copies in expert order (`x[idxs // k]`); **combine** reads the
expert outputs back through the permutation, multiplies each by its routing weight, sums the k of a token and
adds the shared experts' output (`new_x[idxs] = outs`, `·topk_weight`, `.sum(dim=1)`, `+ shared`, fused).

Named quantities: X = T·h (one hidden-state tensor), C = T·k·h (the copies, = the expert outputs), W = T·k
(routing weights), I = 4·T·k (the int32 permutation ids, bytes, read once by each kernel).

| metric | forward | backward |
|---|---|---|
| tc_flops | 0 | 0 |
| cuda_flops | C + T·(k − 1)·h + s·X | C + 2·C + T·(k − 1)·h |
| io_bytes | ba·(X + C) + I + ba·(C + W + s·X + X) + I | ba·(X + C + W) + I + ba·(C + W + s·X) + ba·(C + X) + I |
| weight_bytes, parameters | 0 | 0 |
| activation_bytes | ba·(C + X) | ba·(C + W + s·X + X) |
| kv_cache_bytes | 0 | 0 |
| live_bytes | max(ba·(X + C) + I, ba·(C + W + s·X + X) + I) | max(ba·(X + 2·C + 2·W + s·X) + I, ba·(C + X) + I) |

- Forward FLOPs: C products (each copy's output × its routing weight), T·(k − 1)·h additions (the k products
  of a token summed), s·X additions (the shared experts' output).
- Forward traffic: dispatch reads x (X) and writes the copies (C); combine reads the expert outputs (C), the
  weights (W) and the shared output (s·X) and writes y (X); each kernel reads the ids (I).
- Backward FLOPs: combine forms d out = w·dY (C products) and dw = ⟨out, dY⟩ (a dot product of h per
  copy, 2 FLOPs per multiply-accumulate: 2·C); dispatch's backward sums the k copies' gradients of a token
  into dx (T·(k − 1)·h).
- Backward traffic: combine reads dY, the outputs and the weights and writes d out, dw and the shared
  output's gradient (s·X); dispatch reads d copies and writes dx; each reads the ids.

With the checkpoint's k = 6 and a shared expert, forward glue FLOPs are 2·T·k·h (= T·k·h + T·(k − 1)·h + T·h).
The bookkeeping that builds the permutation (histogram of expert ids, argsort of the T·k ids) is integer work:
its ids traffic is counted (4·T·k per kernel), its integer operations are not FLOPs.

## Parallel layouts (docs/parallelism.md)

The children, the parallelism and the glue are the SDK's `modelmeter::blocks::SparseMoeLayer` (shared with
hf_decoder's `HfSparseMoeBlock`). At tp > 1 and ep = 1 each expert's intermediate size is split over the TP
GPUs (i/tp) and one `all_reduce` of T × h follows the combine. At ep = tp > 1 each GPU holds E/ep whole experts
run on T·k/ep copies, then the TP `all_reduce`. At ep > 1 and tp = 1 (EP over data-parallel GPUs)
`dispatch_all_to_all` and `combine_all_to_all` around `experts` each move (ep − 1)/ep of S = T·k·h elements per
GPU, and the GPU runs its E/ep experts on T·k copies, touched by the ep·T tokens of the group:
(E/ep)·(1 − (1 − k/E)^(ep·T)). The gate and the shared experts are replicated over the EP group.

## Whole block at the checkpoint (h = 1280, E = 64, k = 6, i = 896, n_s = 2)

- Parameters: gate h·E + routed E·3·h·i + shared 3·h·(n_s·i) = 81,920 + 220,200,960 + 6,881,280 = 227,164,160.
- Tensor-Core FLOPs, forward: 2·T·h·E + 3·2·(T·k)·h·i + 3·2·T·h·(n_s·i); backward exactly 2× forward.
- Nothing depends on the context: over a range of decode steps, flows are n × one step.

Conventions: see docs/metrics.md.
)";

// The SDK's sparse-MoE block (modelmeter::blocks::SparseMoeLayer) builds the children, applies expert and tensor
// parallelism and gives the glue; this class names its router (MoEGate) and MLP (DeepseekV2MLP) classes.
class DeepseekV2MoE final : public modelmeter::blocks::SparseMoeLayer {
 public:
  MODELMETER_LAYER_CLASS(DeepseekV2MoE, MM_CATEGORY_MOE_ROUTING, kDeepseekV2MoEDoc)
  DeepseekV2MoE(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape);

  // g = E·(1 − (1 − k/E)^T): expected distinct routed experts read by T tokens under uniform routing.
  static double experts_touched(double experts, double top_k, double tokens) {
    return modelmeter::blocks::experts_touched(experts, top_k, tokens);
  }
};

}  // namespace deepseek_ocr
