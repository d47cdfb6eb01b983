// VitShape: where a ViT runs in its stage — B images of S × S pixels cut into (S/p)² patches plus the CLS token.
#pragma once

#include <cstdint>
#include <string>

#include "vit_config.hpp"

namespace vit {

struct VitShape {
  uint64_t images = 1;           // B
  uint64_t image_size = 0;       // S (the workload's; the config's image_size by default)
  uint64_t grid = 0;             // S / p patches per side (floor: the patch conv has stride p and no padding)
  uint64_t tokens = 0;           // T = (S/p)² + 1 per image (CLS included)
  uint64_t table_positions = 0;  // the position-embedding table: (image_size/p)² + 1 of the config

  VitShape(const VitConfig& c, uint64_t batch, uint64_t size)
      : images(batch),
        image_size(size),
        grid(size / c.patch_size),
        tokens(grid * grid + 1),
        table_positions((c.image_size / c.patch_size) * (c.image_size / c.patch_size) + 1) {}
  double rows() const { return static_cast<double>(images * tokens); }  // B·T token rows
};

}  // namespace vit
