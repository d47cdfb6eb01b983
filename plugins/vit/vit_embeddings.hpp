// VitEmbeddings: patch embedding (a strided Conv2d), the CLS token and the learned position embeddings.
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "vit_config.hpp"
#include "vit_shape.hpp"

namespace vit {

inline constexpr char kVitEmbeddingsDoc[] = R"(# VitEmbeddings

`ViTEmbeddings`: the image cut into non-overlapping p × p patches by a Conv2d with stride p, the learned CLS
token prepended, the learned position embeddings added.

| child | op | shape |
|---|---|---|
| `patch_embeddings` | core `Conv2d` C → h, kernel p, stride p, no padding, bias | B × C × S × S → B × h × (S/p)² |

Own glue (no core op for a learned tensor or a concatenation):

Symbols: B images, N = (S/p)² patches, T = N + 1 tokens, h = hidden size, N₀ + 1 = the position table's rows
(the config's image_size; with another S the table is interpolated, whose cost is not modeled), ba / bw bytes
per activation / weight element.

| metric | forward | backward |
|---|---|---|
| parameters | h (CLS) + (N₀ + 1)·h (positions) | the same (trainable) |
| weight bytes | bw·(h + (N₀ + 1)·h) | the same (their gradients) |
| CUDA-core FLOPs | B·T·h (position add) | B·T·h + B·h (position and CLS gradients summed over the batch) |
| I/O bytes | ba·B·N·h + bw·(N₀ + 2)·h + ba·B·T·h (read patches, table, CLS; write tokens) | ba·B·T·h + ba·B·N·h + bw·(N₀ + 2)·h (read dY; write dX, dpos, dCLS) |
| activation bytes | ba·B·T·h (the tokens) | ba·B·N·h (dX of the patches) |
| live bytes | ba·B·(N + T)·h | ba·B·(N + T)·h |

Tensor-Core FLOPs of the stage's embedding are the conv's: 2·B·N·h·C·p². Conventions: see docs/metrics.md.
)";

class VitEmbeddings final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(VitEmbeddings, MM_CATEGORY_COMPOSITE, kVitEmbeddingsDoc)
  VitEmbeddings(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape);
  modelmeter::Metrics own(modelmeter::Pass pass) const override;
  std::string shapes() const override { return shapes_; }

 private:
  double images_, patches_, tokens_, hidden_, table_;
  double bw_, ba_;
  std::string shapes_;
};

}  // namespace vit
