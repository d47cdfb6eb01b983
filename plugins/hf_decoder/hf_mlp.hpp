// HfMLP: the SwiGLU feed-forward (LlamaMLP and its copies; also one expert, or a grouped set of experts).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

namespace hf_decoder {

inline constexpr char kHfMLPDoc[] = R"(# HfMLP

`down_proj(silu(gate_proj(x)) · up_proj(x))`: LlamaMLP, MistralMLP, Qwen2MLP, DeepseekV2MLP, Mixtral's
`MixtralBlockSparseTop2MLP` (w1 = gate, w3 = up, w2 = down) — the same SwiGLU block.

| child | op | shape |
|---|---|---|
| `gate_proj` | core `Linear` (grouped for experts) | T × h → i |
| `up_proj` | core `Linear` (grouped for experts) | T × h → i |
| `act_fn` | core `SiLU` | T × i |
| `mul` | core `Mul` | T × i |
| `down_proj` | core `Linear` (grouped for experts) | T × i → h |

T = token rows (for routed experts: the T·k token-slots of a step), h = `hidden_size`, i = the intermediate
size. Routed experts are one grouped GEMM over G = E weight matrices of which g (expected) are read in a step
(see HfSparseMoeBlock). Parameters 3·h·i per group (+ biases with `mlp_bias`); Tensor-Core FLOPs 3·2·T·h·i.

Tensor parallel (`parallel.tp` > 1): gate and up are column-parallel (i/tp columns each), down_proj
row-parallel (i/tp rows), followed by `down_proj_all_reduce` of T × h (a dense MLP; experts are reduced once
by their MoE block). The op list is the SDK's `modelmeter::blocks::swiglu_mlp`, shared with DeepSeek-OCR's `DeepseekV2MLP`.
Conventions: see docs/metrics.md.
)";

class HfMLP final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfMLP, MM_CATEGORY_COMPOSITE, kHfMLPDoc)
  HfMLP(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double tokens, bool bias,
        uint64_t groups = 1, double groups_touched = 0, uint64_t tp = 1, bool reduce = true);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace hf_decoder
