// MlpProjector (plugins/deepseek_ocr/vision): Linear 2048 → hidden with bias, projector type "linear".
#include <doctest/doctest.h>

#include "dsocr_test_support.hpp"
#include "vision/mlp_projector.hpp"

using namespace deepseek_ocr;

TEST_CASE("MlpProjector: 2,622,720 parameters at hidden 1280 — FLOPs tokens × 2·2048·1280") {
  const auto stage = dsocr_test::vision_stage();
  // std-v1 (Gundam 2×3): 16² global-view tokens + 6 tiles × 10² = 856 view tokens.
  const auto node = dsocr_test::eval(modelmeter::make_layer<MlpProjector>(stage.ctx(), VisionConfig{}, 1280, 856.0));
  CHECK(dsocr_test::params(node) == 2048 * 1280 + 1280);
  CHECK(dsocr_test::params(node) == 2622720);
  CHECK(dsocr_test::tc(node) == 856.0 * 2 * 2048 * 1280);              // 4,487,905,280
  CHECK(dsocr_test::fwd(node, MM_METRIC_CUDA_FLOPS) == 856.0 * 1280);  // bias adds
  CHECK(dsocr_test::bwd(node, MM_METRIC_TC_FLOPS) == 2 * dsocr_test::tc(node));
  // Linear in the tokens.
  const auto base = dsocr_test::eval(modelmeter::make_layer<MlpProjector>(stage.ctx(), VisionConfig{}, 1280, 256.0));
  CHECK(dsocr_test::tc(base) == doctest::Approx(256.0 / 856.0 * dsocr_test::tc(node)));
  CHECK_THROWS_AS(modelmeter::make_layer<MlpProjector>(stage.ctx(), VisionConfig{}, 1280, 0.0),
                  modelmeter::InvalidArgument);
}
