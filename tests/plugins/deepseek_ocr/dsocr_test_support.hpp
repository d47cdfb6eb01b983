// Helpers for the DeepSeek-OCR layer tests: stage contexts built by hand, evaluation through core's engine
// (the same host-side summation the host uses), and lookups in the resulting module tree.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "model_config.hpp"
#include "support/layer_harness.hpp"

namespace dsocr_test {

using mm_layer_test::bwd;
using mm_layer_test::child;
using mm_layer_test::fwd;
using mm_layer_test::params;
using mm_layer_test::Stage;
using mm_layer_test::tc;

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
  return mm_layer_test::eval(layer, first, count, "deepseek_ocr");
}

}  // namespace dsocr_test
