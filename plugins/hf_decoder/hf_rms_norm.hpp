// HfRMSNorm: the decoder's RMSNorm (LlamaRMSNorm, MistralRMSNorm, Qwen2RMSNorm, MixtralRMSNorm,
// DeepseekV2RMSNorm are the same module).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

namespace hf_decoder {

inline constexpr char kHfRMSNormDoc[] = R"(# HfRMSNorm

`y = x / sqrt(mean(x²) + eps) · w` over the last dimension, computed in fp32 and read/written at the
activation precision — the RMSNorm of every architecture hf_decoder models (LlamaRMSNorm and its copies).

| child | op | shape |
|---|---|---|
| `rms_norm` | core `RMSNorm` | T tokens × h features, one weight vector of h |

Parameters h; FLOPs, traffic and memory are the core op's (docs/metrics.md).

Conventions: see docs/metrics.md.
)";

class HfRMSNorm final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfRMSNorm, MM_CATEGORY_NORM, kHfRMSNormDoc)
  HfRMSNorm(const modelmeter::StageContext& ctx, double tokens, uint64_t hidden);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace hf_decoder
