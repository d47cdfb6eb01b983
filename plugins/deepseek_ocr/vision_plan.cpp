#include "vision_plan.hpp"

#include <array>
#include <cmath>
#include <modelmeter/sdk.hpp>

namespace deepseek_ocr {

namespace {

// The candidate grids in the order the vendor's Python code iterates them: sorted by tile count; within one
// count, CPython's (deterministic) set order. The order decides exact ties (see select_tile_grid).
constexpr std::array<std::pair<uint64_t, uint64_t>, 22> kCandidates = {{
    {1, 2}, {2, 1}, {3, 1}, {1, 3}, {2, 2}, {4, 1}, {1, 4}, {5, 1}, {1, 5}, {1, 6}, {6, 1},
    {3, 2}, {2, 3}, {7, 1}, {1, 7}, {4, 2}, {2, 4}, {1, 8}, {8, 1}, {1, 9}, {3, 3}, {9, 1},
}};

[[noreturn]] void invalid(const std::string& why) {
  throw modelmeter::InvalidArgument(why);
}

}  // namespace

TileGrid select_tile_grid(uint64_t width, uint64_t height, uint64_t image_size) {
  if (width <= image_size && height <= image_size) return {1, 1};
  const double aspect = static_cast<double>(width) / static_cast<double>(height);
  const double area = static_cast<double>(width) * static_cast<double>(height);
  double best_diff = INFINITY;
  TileGrid best{1, 1};
  for (const auto& [w, h] : kCandidates) {
    const double diff = std::fabs(aspect - static_cast<double>(w) / static_cast<double>(h));
    if (diff < best_diff) {
      best_diff = diff;
      best = {w, h};
    } else if (diff == best_diff &&
               area > 0.5 * static_cast<double>(image_size * image_size) * static_cast<double>(w * h)) {
      best = {w, h};
    }
  }
  return best;
}

uint64_t VisionPlan::tokens() const {
  if (!enabled) return 0;
  const uint64_t global = q() * (q() + 1) + 1;  // rows of q tokens + a newline each, + the view separator
  const uint64_t tiles = grid.tiles() > 0 ? (q_tile() * grid.w + 1) * (q_tile() * grid.h) : 0;
  return global + tiles;
}

VisionPlan plan_vision(const VisionKeys& k) {
  VisionPlan p;
  p.mode = k.mode;
  p.enabled = k.mode != "off";
  if (k.mode == "tiny") p.base_size = 512;
  if (k.mode == "small") p.base_size = 640;
  if (k.mode == "base" || k.mode == "gundam") p.base_size = 1024;
  if (k.mode == "large") p.base_size = 1280;
  p.crop = k.mode == "gundam";
  if (!p.enabled) {
    if (k.page || k.grid || k.base_size)
      invalid("vision.mode = \"off\" takes no vision.page, vision.grid or vision.base_size");
    return p;
  }
  if (k.base_size) p.base_size = static_cast<uint64_t>(*k.base_size);
  p.image_size = static_cast<uint64_t>(k.image_size);
  if (p.base_size % 64 != 0) {
    invalid("vision.base_size = " + std::to_string(p.base_size) +
            " is not a multiple of 64 (16-pixel patches, 4x neck)");
  }
  if (p.image_size % 64 != 0) {
    invalid("vision.image_size = " + std::to_string(p.image_size) +
            " is not a multiple of 64 (16-pixel patches, 4x neck)");
  }
  if (!p.crop) {
    if (k.grid) invalid("vision.grid needs vision.mode = \"gundam\" (mode \"" + k.mode + "\" has no tiles)");
    return p;  // one global view; a page size only decides the padding, not the tokens
  }
  if (k.grid) {
    const auto [w, h] = *k.grid;
    if (w < 1 || h < 1 || w * h < 2 || w * h > 9) {
      invalid("vision.grid = [" + std::to_string(w) + ", " + std::to_string(h) + "] has " + std::to_string(w * h) +
              " tiles; allowed 2 to 9 (w x h)");
    }
    p.grid = {static_cast<uint64_t>(w), static_cast<uint64_t>(h)};
  } else if (k.page) {
    p.grid =
        select_tile_grid(static_cast<uint64_t>(k.page->first), static_cast<uint64_t>(k.page->second), p.image_size);
  } else {
    invalid("vision.mode = \"gundam\" needs vision.page = [width, height] or vision.grid = [w, h]");
  }
  return p;
}

}  // namespace deepseek_ocr
