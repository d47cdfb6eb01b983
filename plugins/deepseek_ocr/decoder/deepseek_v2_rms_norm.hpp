// DeepseekV2RMSNorm: the decoder's RMSNorm (pre-attention, pre-MLP, MLA's q_a/kv_a norms).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

namespace deepseek_ocr {

inline constexpr char kDeepseekV2RMSNormDoc[] = R"(# DeepseekV2RMSNorm

`y = x · rsqrt(mean(x²) + ε) · γ` over the last F features of T rows (Hugging Face's `DeepseekV2RMSNorm`,
ε = 1e-6, computed in fp32 and cast back). A wrapper around one core op, no glue of its own:

| child | op | shape |
|---|---|---|
| `rms_norm` | core `RMSNorm` | T rows × F features |

## Formulas (core `RMSNorm`; symbols T rows, F features, ba/bw activation/weight bytes)

| metric | forward | backward |
|---|---|---|
| cuda_flops | 4·T·F (square, sum, ·rsqrt, ·γ) | 8·T·F |
| io_bytes | 2·ba·T·F + bw·F | 3·ba·T·F + 2·bw·F |
| parameters | F (γ) | F |

The fp32 upcast inside the norm does not change the bytes moved: activations are read and written at `ba`.
Per-row scalar work (the mean's division, + ε, the rsqrt) is O(T) and not counted.

Conventions: see docs/metrics.md.
)";

class DeepseekV2RMSNorm final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(DeepseekV2RMSNorm, MM_CATEGORY_NORM, kDeepseekV2RMSNormDoc)
  DeepseekV2RMSNorm(const modelmeter::StageContext& ctx, double tokens, uint64_t hidden);

  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
