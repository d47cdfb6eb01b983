// LayerNorm2d: SAM's channel LayerNorm of an NCHW feature map (the neck's norms).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>
#include <string>

namespace deepseek_ocr {

inline constexpr char kLayerNorm2dDoc[] = R"(# LayerNorm2d

SAM's `LayerNorm2d` (from detectron2/ConvNeXt): for every pixel of an NCHW map, normalise its C channels,
`u = mean_c(x)`, `s = mean_c((x − u)²)`, `y = weight · (x − u)/√(s + ε) + bias` (ε = 1e-6). The neck applies it to
the 256-channel maps after `neck.0` and `neck.2`.

| child | op | shape |
|---|---|---|
| `norm` | core `LayerNorm`, affine with bias | T = B·h·w rows × C features |

## Symbols

B = images, C = channels (256 in the neck), h × w = the map's spatial size, T = B·h·w.

## Formulas (the child's; its page has the full table)

- Parameters: 2·C (weight and bias: 512 at C = 256).
- CUDA-core FLOPs: 7·T·C forward (LayerNorm with bias), 14·T·C backward.
- I/O: 2·ba·T·C + bw·2·C forward.

Assumption: modeled as one fused LayerNorm kernel over the channel axis. The vendor code writes it as separate
eager tensor ops (mean, subtract, square, mean, add ε, sqrt, divide, scale, shift), which would move the map
several times; a fused kernel (what `torch.compile` or an inference engine runs) is what is modeled.

Conventions: see docs/metrics.md.
)";

class LayerNorm2d final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(LayerNorm2d, MM_CATEGORY_COMPOSITE, kLayerNorm2dDoc)
  LayerNorm2d(const modelmeter::StageContext& ctx, uint64_t images, uint64_t channels, uint64_t h, uint64_t w);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace deepseek_ocr
