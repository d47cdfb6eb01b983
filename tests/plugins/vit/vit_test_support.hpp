// Helpers for the vit plugin tests: stage contexts built by hand, evaluation through core's engine (the host's
// own summation) and lookups in the module tree.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "support/layer_harness.hpp"
#include "vit_config.hpp"
#include "vit_model.hpp"
#include "vit_shape.hpp"

namespace vit_test {

using mm_layer_test::bwd;
using mm_layer_test::child;
using mm_layer_test::fwd;
using mm_layer_test::params;
using mm_layer_test::Stage;
using mm_layer_test::tc;

inline vit::VitConfig bundled(const std::string& name) {
  return vit::VitConfig::load(std::string(MM_SOURCE_DIR) + "/configs/models/" + name + ".json");
}

// B images through the model at the config's image size (the stage kind does not change a ViT's layers).
inline Stage stage(uint64_t images, const vit::VitConfig& cfg, mm_attention_impl impl = MM_ATTENTION_FLASH) {
  const vit::VitShape s(cfg, images, cfg.image_size);
  return Stage(MM_STAGE_PREFILL, images, s.tokens, s.tokens, 1, impl);
}

inline modelmeter::LayerPtr model(const Stage& st, const vit::VitConfig& cfg, uint64_t image_size = 0) {
  return modelmeter::make_layer<vit::VitModel>(
      st.ctx(), cfg, vit::VitShape(cfg, st.raw.batch, image_size == 0 ? cfg.image_size : image_size));
}

inline modelmeter::core::ModuleNode eval(const modelmeter::LayerPtr& layer) {
  return mm_layer_test::eval(layer, 0, 1, "vit");
}

}  // namespace vit_test
