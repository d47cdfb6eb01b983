// DeepSeek-OCR image geometry: modes, the tile grid chosen for a page, token counts (plugins/deepseek_ocr/vision_plan).
#include "vision_plan.hpp"

#include <doctest/doctest.h>

#include <modelmeter/sdk.hpp>

using namespace deepseek_ocr;

namespace {
VisionPlan plan(const std::string& mode, std::optional<std::pair<int64_t, int64_t>> page = std::nullopt,
                std::optional<std::pair<int64_t, int64_t>> grid = std::nullopt) {
  return plan_vision(VisionKeys{mode, page, grid, std::nullopt, 640});
}
}  // namespace

TEST_CASE("token counts per mode: q = base_size/64, q(q+1) + 1 for the global view") {
  CHECK(plan("tiny").tokens() == 8 * 9 + 1);      // 512: 73
  CHECK(plan("small").tokens() == 10 * 11 + 1);   // 640: 111
  CHECK(plan("base").tokens() == 273);            // 1024: 16·17 + 1
  CHECK(plan("large").tokens() == 20 * 21 + 1);   // 1280: 421
  CHECK(plan("off").tokens() == 0);
  CHECK_FALSE(plan("off").enabled);
  // Gundam 2×2: 273 + (10·2 + 1)·(10·2) = 273 + 420 = 693.
  CHECK(plan("gundam", std::nullopt, std::pair{2, 2}).tokens() == 693);
  // std-v1's 2×3: 273 + 21·30 = 903.
  CHECK(plan("gundam", std::nullopt, std::pair{2, 3}).tokens() == 903);
}

TEST_CASE("tile grid for page sizes, hand-derived from the closest-aspect rule") {
  // A4 portrait at 150 dpi: aspect 1240/1754 = 0.707; (2,3) = 0.667 is closest (|Δ| 0.040; (1,1) is not
  // allowed, (3,4) has 12 tiles).
  CHECK(select_tile_grid(1240, 1754, 640) == TileGrid{2, 3});
  CHECK(plan("gundam", std::pair{1240, 1754}).tokens() == 903);
  // Landscape A4: aspect 1.4145; (3,2) = 1.5 (|Δ| 0.086) beats (2,2) = 1 (0.41) and (2,1) = 2 (0.59).
  CHECK(select_tile_grid(1754, 1240, 640) == TileGrid{3, 2});
  // Square 1000²: (2,2) has Δ 0; (3,3) ties later but 1e6 ≤ 0.5·640²·9 = 1,843,200, so (2,2) stays.
  CHECK(select_tile_grid(1000, 1000, 640) == TileGrid{2, 2});
  // Square 2000²: the same tie, now 4e6 > 1,843,200: the larger grid (3,3) wins.
  CHECK(select_tile_grid(2000, 2000, 640) == TileGrid{3, 3});
  // A page no larger than 640 on both sides gets no tiles: Gundam is then the global view alone.
  CHECK(select_tile_grid(500, 600, 640) == TileGrid{1, 1});
  CHECK(select_tile_grid(640, 640, 640) == TileGrid{1, 1});
  CHECK(plan("gundam", std::pair{500, 600}).tokens() == 273);
}

TEST_CASE("tile grid ties at aspect 1.25 depend on the page area") {
  // 1250×1000 (area 1.25e6): (1,2) Δ 0.75, then (2,1) ties (1.25e6 > 0.5·640²·2) and wins, (2,2) Δ 0.25
  // wins, (3,2) = 1.5 ties at Δ 0.25 and 1.25e6 > 0.5·640²·6 = 1,228,800, so (3,2); (3,3) ties but
  // 1.25e6 ≤ 1,843,200: (3,2) stays.
  CHECK(select_tile_grid(1250, 1000, 640) == TileGrid{3, 2});
  // 800×640 (area 512,000): the same sequence, but 512,000 ≤ 1,228,800 at (3,2): (2,2) stays.
  CHECK(select_tile_grid(800, 640, 640) == TileGrid{2, 2});
}

TEST_CASE("impossible vision combinations are one-line errors naming the keys") {
  CHECK_THROWS_WITH_AS(plan("gundam", std::nullopt, std::pair{3, 4}), doctest::Contains("has 12 tiles; allowed 2 to 9"),
                       modelmeter::InvalidArgument);
  CHECK_THROWS_WITH_AS(plan("gundam", std::nullopt, std::pair{1, 1}), doctest::Contains("vision.grid = [1, 1]"),
                       modelmeter::InvalidArgument);
  CHECK_THROWS_WITH_AS(plan("gundam"), doctest::Contains("needs vision.page"), modelmeter::InvalidArgument);
  CHECK_THROWS_WITH_AS(plan("base", std::nullopt, std::pair{2, 2}), doctest::Contains("vision.grid needs vision.mode"),
                       modelmeter::InvalidArgument);
  CHECK_THROWS_WITH_AS(plan_vision(VisionKeys{"gundam", std::pair{1000, 1000}, std::nullopt, std::nullopt, 650}),
                       doctest::Contains("vision.image_size = 650 is not a multiple of 64"),
                       modelmeter::InvalidArgument);
  CHECK_THROWS_WITH_AS(plan_vision(VisionKeys{"base", std::nullopt, std::nullopt, 1000, 640}),
                       doctest::Contains("vision.base_size = 1000"), modelmeter::InvalidArgument);
  CHECK_THROWS_AS(plan_vision(VisionKeys{"off", std::pair{100, 100}, std::nullopt, std::nullopt, 640}),
                  modelmeter::InvalidArgument);
}
