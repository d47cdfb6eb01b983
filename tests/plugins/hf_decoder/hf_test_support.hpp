// Helpers for the hf_decoder tests: the bundled configs, stage contexts built by hand, evaluation through
// core's engine (the host's own summation) and lookups in the module tree.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "hf_config.hpp"
#include "hf_decoder_model.hpp"
#include "support/layer_harness.hpp"

namespace hf_test {

inline hf_decoder::HfConfig bundled(const std::string& name) {
  return hf_decoder::HfConfig::load(std::string(MM_SOURCE_DIR) + "/configs/models/" + name + ".json");
}

using mm_layer_test::child;
using mm_layer_test::fwd;
using mm_layer_test::params;
using mm_layer_test::Stage;
using mm_layer_test::tc;

inline Stage prefill(uint64_t batch, uint64_t prompt, mm_attention_impl impl = MM_ATTENTION_FLASH) {
  return Stage(MM_STAGE_PREFILL, batch, prompt, prompt, 1, impl);
}
// Decode after a prompt of P tokens: step s sees P + 1 + s positions.
inline Stage decode(uint64_t batch, uint64_t prompt, uint64_t steps, mm_attention_impl impl = MM_ATTENTION_FLASH) {
  return Stage(MM_STAGE_DECODE, batch, 1, prompt + 1, steps, impl);
}

inline modelmeter::LayerPtr model(const Stage& s, const hf_decoder::HfConfig& cfg,
                                  const hf_decoder::Conventions& conv = {}) {
  return modelmeter::make_layer<hf_decoder::HfDecoderModel>(s.ctx(), cfg, conv);
}

inline modelmeter::core::ModuleNode eval(const modelmeter::LayerPtr& layer, uint64_t first = 0, uint64_t count = 1) {
  return mm_layer_test::eval(layer, first, count, "hf_decoder");
}

}  // namespace hf_test
