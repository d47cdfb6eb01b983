// Test support for model plugins' layers: stage contexts built by hand (bf16 everywhere), evaluation of a
// layer tree through core's engine (the host's own summation) and lookups in the resulting module tree.
// Used by the DeepSeek-OCR and hf_decoder layer tests.
#pragma once

#include <doctest/doctest.h>

#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/sdk.hpp>
#include <stdexcept>
#include <string>

namespace mm_layer_test {

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

// Evaluates a layer tree over steps [first, first + count) with H100-like rates (times are not asserted here).
inline modelmeter::core::ModuleNode eval(const modelmeter::LayerPtr& layer, uint64_t first = 0, uint64_t count = 1,
                                         const std::string& plugin = "test") {
  const modelmeter::core::RooflineRates rates{989.4e12, 66.9e12, 3.35e12};
  return modelmeter::core::evaluate_layer(layer.get(), plugin, rates, first, count, nullptr);
}

inline double fwd(const modelmeter::core::ModuleNode& n, mm_metric_id id) {
  REQUIRE(n.forward[id].has_value());
  return *n.forward[id];
}
inline double bwd(const modelmeter::core::ModuleNode& n, mm_metric_id id) {
  REQUIRE(n.backward[id].has_value());
  return *n.backward[id];
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

}  // namespace mm_layer_test
