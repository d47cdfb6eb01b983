// VitMlp: the feed-forward block, Linear(h → i) – GELU – Linear(i → h), both with bias.
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

namespace vit {

inline constexpr char kVitMlpDoc[] = R"(# VitMlp

`ViTIntermediate` + `ViTOutput`: `output(gelu(intermediate(x)))` on the B·T token rows.

| child | op | shape |
|---|---|---|
| `intermediate` | core `Linear` h → i with bias | B·T rows |
| `act` | core `GELU` (exact, erf) | B·T × i |
| `output` | core `Linear` i → h with bias | B·T rows |

Tensor-Core FLOPs (forward) 2·2·B·T·h·i; parameters 2·h·i + i + h. GELU is CUDA-core work.
Conventions: see docs/metrics.md.
)";

class VitMlp final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(VitMlp, MM_CATEGORY_COMPOSITE, kVitMlpDoc)
  VitMlp(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double rows);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace vit
