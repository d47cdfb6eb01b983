// Image preprocessing geometry of DeepSeek-OCR: modes, the tile grid chosen for a page, and token counts.
// Pure functions of the workload's vision.* keys (see docs/deepseek-ocr.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace deepseek_ocr {

struct TileGrid {
  uint64_t w = 1, h = 1;  // 1×1 = no tiles
  uint64_t tiles() const { return w * h > 1 ? w * h : 0; }
  bool operator==(const TileGrid&) const = default;
};

// The grid the vendor's dynamic_preprocess picks for a page of `width`×`height` pixels with tiles of
// `image_size`: none (1×1) when both sides are ≤ image_size; else, among the grids with 2 ≤ w·h ≤ 9, the one
// whose aspect w/h is closest to the page's, a tie going to the later grid when the page's area exceeds half
// of that grid's pixel area.
TileGrid select_tile_grid(uint64_t width, uint64_t height, uint64_t image_size);

struct VisionPlan {
  bool enabled = false;     // vision.mode != off
  std::string mode;         // off | tiny | small | base | large | gundam
  uint64_t base_size = 0;   // global view side (pixels)
  uint64_t image_size = 0;  // tile side (pixels), used when crop
  bool crop = false;        // gundam: global view plus tiles
  TileGrid grid;            // tiles (1×1 when none)
  // Tokens into the decoder per page: the global view's q·(q+1) (a newline after each row) + 1 view separator,
  // plus (qt·w + 1)·(qt·h) for a w×h tile grid, q = base_size/64, qt = image_size/64.
  uint64_t tokens() const;
  uint64_t q() const { return base_size / 64; }
  uint64_t q_tile() const { return image_size / 64; }
};

struct VisionKeys {
  std::string mode;
  std::optional<std::pair<int64_t, int64_t>> page;  // vision.page
  std::optional<std::pair<int64_t, int64_t>> grid;  // vision.grid
  std::optional<int64_t> base_size;                 // vision.base_size (overrides the mode's)
  int64_t image_size = 640;                         // vision.image_size
};

// Resolves the keys into a plan; throws modelmeter::InvalidArgument (one line naming the keys) for
// impossible combinations: sizes not multiples of 64, a grid outside 2..9 tiles, a grid or page with a mode
// that has no tiles, gundam without a page or grid.
VisionPlan plan_vision(const VisionKeys& keys);

}  // namespace deepseek_ocr
