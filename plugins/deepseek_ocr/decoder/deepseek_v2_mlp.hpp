// DeepseekV2MLP: the SwiGLU feed-forward block (dense layer 0, the routed experts, the shared experts).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

namespace deepseek_ocr {

inline constexpr char kDeepseekV2MLPDoc[] = R"(# DeepseekV2MLP

The SwiGLU MLP of the DeepSeek-V2 decoder, `down_proj(act_fn(gate_proj(x)) * up_proj(x))` with SiLU, no
biases. It is the dense MLP of layer 0 (i = `intermediate_size`), the shared experts of an MoE layer (one MLP
of i = n_shared · `moe_intermediate_size`) and, as a grouped GEMM over G experts, the routed experts of an MoE
layer. A composite of core ops, no glue of its own:

| child | op | shape |
|---|---|---|
| `gate_proj` | core `Linear`, no bias, G groups, g touched | T × h → i |
| `up_proj` | core `Linear`, no bias, G groups, g touched | T × h → i |
| `act_fn` | core `SiLU` | T × i |
| `mul` | core `Mul` | T × i |
| `down_proj` | core `Linear`, no bias, G groups, g touched | T × i → h |

## Symbols

T = rows (tokens; for routed experts the token-slots, tokens × k), h = `hidden_size`, i = intermediate size,
G = weight groups (1, or the routed experts E), g = groups read in one step (`groups_touched`; all when 0),
ba / bw = activation / weight bytes.

## Formulas (sums of the children's)

- Parameters: G·3·h·i (26,296,320 for the dense layer 0 at h = 1280, i = 6848).
- Tensor-Core FLOPs: forward 3 · 2·T·h·i; backward 2× forward (Linear: dX and dW).
- CUDA-core FLOPs: forward SiLU 4·T·i + Mul T·i; backward SiLU 8·T·i + Mul 2·T·i.
- Weight traffic: the three projections read g·3·h·i weights (`groups_touched`, the caller's expectation of
  distinct experts read); FLOPs follow the T rows whatever the routing.
- Nothing depends on the context: over a range of decode steps, flows are n × one step.

Conventions: see docs/metrics.md.
)";

class DeepseekV2MLP final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(DeepseekV2MLP, MM_CATEGORY_COMPOSITE, kDeepseekV2MLPDoc)
  DeepseekV2MLP(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double tokens,
                uint64_t groups = 1, double groups_touched = 0, uint64_t tp = 1, bool reduce = true);

  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
