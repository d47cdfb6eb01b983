// Helpers for the DeepSeek-OCR layer tests: stage contexts built by hand, evaluation through core's engine
// (the same host-side summation the host uses), and lookups in the resulting module tree.
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/sdk.hpp>
#include <stdexcept>
#include <string>

#include "model_config.hpp"

namespace dsocr_test {

// A stage context with bf16 everywhere; owns its precision struct.
struct Stage {
  mm_precision precision{};
  mm_stage_context raw{};

  Stage(mm_stage stage, uint64_t batch, uint64_t query_len, uint64_t kv_len, uint64_t steps) {
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
    raw.attention = MM_ATTENTION_FLASH;
  }
  modelmeter::StageContext ctx() const { return modelmeter::StageContext(raw); }
};

inline Stage vision_stage(uint64_t batch = 1) {
  return Stage(MM_STAGE_VISION, batch, 0, 0, 1);
}
inline Stage prefill_stage(uint64_t batch, uint64_t prompt) {
  return Stage(MM_STAGE_PREFILL, batch, prompt, prompt, 1);
}
// Decode after a prompt of P tokens: step s sees P + 1 + s positions.
inline Stage decode_stage(uint64_t batch, uint64_t prompt, uint64_t steps) {
  return Stage(MM_STAGE_DECODE, batch, 1, prompt + 1, steps);
}

inline deepseek_ocr::DecoderShape prefill_shape(uint64_t batch, uint64_t prompt,
                                                mm_attention_impl impl = MM_ATTENTION_FLASH) {
  return {batch, prompt, prompt, false, impl};
}
inline deepseek_ocr::DecoderShape decode_shape(uint64_t batch, uint64_t prompt,
                                               mm_attention_impl impl = MM_ATTENTION_FLASH) {
  return {batch, 1, prompt + 1, true, impl};
}

// Evaluates a layer tree over steps [first, first + count) with H100-like rates (times are not asserted here).
inline modelmeter::core::ModuleNode eval(const modelmeter::LayerPtr& layer, uint64_t first = 0, uint64_t count = 1) {
  const modelmeter::core::RooflineRates rates{989.4e12, 66.9e12, 3.35e12};
  return modelmeter::core::evaluate_layer(layer.get(), "deepseek_ocr", rates, first, count, nullptr);
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

}  // namespace dsocr_test
