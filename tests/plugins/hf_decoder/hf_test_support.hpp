// Helpers for the hf_decoder tests: the bundled configs, stage contexts built by hand, evaluation through
// core's engine (the host's own summation) and lookups in the module tree.
#pragma once

#include <doctest/doctest.h>

#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/sdk.hpp>
#include <stdexcept>
#include <string>

#include "hf_config.hpp"
#include "hf_decoder_model.hpp"

namespace hf_test {

inline hf_decoder::HfConfig bundled(const std::string& name) {
  return hf_decoder::HfConfig::load(std::string(MM_SOURCE_DIR) + "/configs/models/" + name + ".json");
}

// A stage context with bf16 everywhere; owns its precision struct.
struct Stage {
  mm_precision precision{};
  mm_stage_context raw{};

  Stage(mm_stage stage, uint64_t batch, uint64_t query_len, uint64_t kv_len, uint64_t steps,
        mm_attention_impl impl = MM_ATTENTION_FLASH) {
    modelmeter::detail::host_slot() = modelmeter::core::host_api();  // ops reach core through the host table
    precision.struct_size = sizeof precision;
    precision.weights = precision.activations = precision.kv_cache = MM_DTYPE_BF16;
    precision.weight_bytes = precision.activation_bytes = precision.kv_cache_bytes = 2;
    raw.struct_size = sizeof raw;
    raw.stage = stage;
    raw.precision = &precision;
    raw.batch = batch;
    raw.query_tokens = query_len;
    raw.kv_len = kv_len;
    raw.steps = steps;
    raw.attention = impl;
  }
  modelmeter::StageContext ctx() const { return modelmeter::StageContext(raw); }
};

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

// Evaluates a layer tree over steps [first, first + count) with H100-like rates (times are not asserted).
inline modelmeter::core::ModuleNode eval(const modelmeter::LayerPtr& layer, uint64_t first = 0, uint64_t count = 1) {
  const modelmeter::core::RooflineRates rates{989.4e12, 66.9e12, 3.35e12};
  return modelmeter::core::evaluate_layer(layer.get(), "hf_decoder", rates, first, count, nullptr);
}

inline double fwd(const modelmeter::core::ModuleNode& n, mm_metric_id id) {
  REQUIRE(n.forward[id].has_value());
  return *n.forward[id];
}
inline double params(const modelmeter::core::ModuleNode& n) {
  return fwd(n, MM_METRIC_PARAMETERS);
}
inline double tc(const modelmeter::core::ModuleNode& n) {
  return fwd(n, MM_METRIC_TC_FLOPS);
}

// The child with this name (one path segment); fails the test when absent.
inline const modelmeter::core::ModuleNode& child(const modelmeter::core::ModuleNode& n, const std::string& name) {
  for (const auto& c : n.children)
    if (c.name == name) return c;
  FAIL("no child '" << name << "' under '" << n.id << "'");
  throw std::logic_error("unreachable");
}

}  // namespace hf_test
