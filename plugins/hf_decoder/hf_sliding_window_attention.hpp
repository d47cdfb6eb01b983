// HfSlidingWindowAttention: causal attention whose context is capped at a window of W positions (Mistral).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

namespace hf_decoder {

inline constexpr char kHfSlidingWindowAttentionDoc[] = R"(# HfSlidingWindowAttention

Mistral's sliding-window attention: each query attends to at most the W = `sliding_window` most recent
positions, and the KV cache is a rolling buffer of W positions. It is built from core's
`ScaledDotProductAttention` ops (the same formulas as unwindowed attention, docs/metrics.md §3), split where
the window starts to bind; the split ops are internal, so the module is one attention leaf in the report.

## Decode (step s sees K_s = K_0 + s positions)

Every step attends to min(K_s, W) positions. Steps with K_s ≤ W are the ordinary growing-context op; steps past
the window are a fixed-context op over W positions: their cost and the cache stop growing. Over a range of
steps the sum is exact: the growing part in closed form (affine in K), the capped part n × one step.

## Prefill (P prompt positions, causal)

- P ≤ W: the ordinary causal op.
- P > W, `flash`: the first W queries are a causal W×W block; the other P − W queries each see exactly W keys
  (a non-causal (P − W)×W block reading the keys as activations). Score entries W(W+1)/2 + (P − W)·W per head.
  The cache written holds W positions (the rolling buffer).
- `eager`: the full P×P square is computed under the mask (the eager convention), as for unwindowed attention.

Conventions: see docs/metrics.md.
)";

class HfSlidingWindowAttention final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfSlidingWindowAttention, MM_CATEGORY_ATTENTION, kHfSlidingWindowAttentionDoc)
  HfSlidingWindowAttention(const modelmeter::StageContext& ctx, const modelmeter::ops::AttentionShape& a,
                           uint64_t window);
  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  modelmeter::Metrics own_steps(modelmeter::Pass pass, uint64_t first, uint64_t count) const override;
  std::string shapes() const override { return shapes_; }

 private:
  // Prefill: `parts` run once each. Decode: `parts[0]` grows until step `capped_from`, `parts[1]` is the capped op.
  modelmeter::LayerPtr parts_[2];
  bool decode_ = false;
  uint64_t capped_from_ = 0;  // decode: first step whose context exceeds the window
  std::string shapes_;
};

}  // namespace hf_decoder
