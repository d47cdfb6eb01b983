// Helpers for the generic-op tests (tests/unit/test_ops_*.cpp): a hand-built stage context and precision, ops
// created through core's create_op and read through their own class table, exactly as the host does.
#pragma once

#include <doctest/doctest.h>
#include <modelmeter/abi.h>

#include <cstdint>
#include <modelmeter/blocks.hpp>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

namespace mmtest {

// A prefill-stage context owning its precision. Bytes per element: bf16 = 2 (the default), fp32 = 4.
struct Context {
  mm_precision precision{};
  mm_stage_context ctx{};

  explicit Context(double bytes = 2) : Context(bytes, bytes, bytes) {}
  Context(double weight_bytes, double activation_bytes, double kv_cache_bytes) {
    precision.struct_size = sizeof precision;
    precision.weights = precision.activations = precision.kv_cache = MM_DTYPE_BF16;
    precision.weight_bytes = weight_bytes;
    precision.activation_bytes = activation_bytes;
    precision.kv_cache_bytes = kv_cache_bytes;
    ctx.struct_size = sizeof ctx;
    ctx.stage = MM_STAGE_PREFILL;
    ctx.precision = &precision;
    ctx.batch = 1;
    ctx.query_tokens = 1;
    ctx.kv_len = 1;
    ctx.steps = 1;
    ctx.attention = MM_ATTENTION_FLASH;
  }
  Context(const Context&) = delete;  // ctx.precision points into this object
  Context& operator=(const Context&) = delete;
};

inline mm_op_spec spec(mm_op_kind kind, double tokens = 0) {
  mm_op_spec s{};
  s.struct_size = sizeof s;
  s.kind = kind;
  s.tokens = tokens;
  return s;
}

// The outcome of a create_op call that is expected to fail (the layer, if any, is destroyed).
struct Outcome {
  mm_status status;
  std::string message;
};

inline Outcome try_create(const Context& c, const mm_op_spec& s) {
  mm_layer* layer = nullptr;
  mm_error err{};
  const mm_status status = modelmeter::core::create_op(&c.ctx, &s, &layer, &err);
  if (layer != nullptr) layer->cls->destroy(layer);
  return {status, status == MM_OK ? std::string() : std::string(err.message)};
}

// An op created through create_op; destroyed through its own class table.
class Op {
 public:
  Op(const Context& c, const mm_op_spec& s) {
    mm_error err{};
    const mm_status status = modelmeter::core::create_op(&c.ctx, &s, &layer_, &err);
    REQUIRE_MESSAGE(status == MM_OK, err.message);
    REQUIRE(layer_ != nullptr);
  }
  ~Op() {
    if (layer_ != nullptr) layer_->cls->destroy(layer_);
  }
  Op(const Op&) = delete;
  Op& operator=(const Op&) = delete;

  // Every metric for `count` steps from `first`, read through the class table's metrics function.
  modelmeter::Metrics metrics(mm_pass pass, uint64_t first = 0, uint64_t count = 1) const {
    try {
      return modelmeter::blocks::own_metrics(layer_, static_cast<modelmeter::Pass>(pass), first, count);
    } catch (const modelmeter::Error& e) {
      FAIL(e.what());  // a failed status, or fewer metrics than MM_METRIC_COUNT
    }
    return {};
  }
  modelmeter::Metrics forward(uint64_t first = 0, uint64_t count = 1) const {
    return metrics(MM_PASS_FORWARD, first, count);
  }
  modelmeter::Metrics backward(uint64_t first = 0, uint64_t count = 1) const {
    return metrics(MM_PASS_BACKWARD, first, count);
  }

  std::string shapes() const {
    char buffer[512];
    mm_error err{};
    const mm_status status = layer_->cls->shapes(layer_, buffer, sizeof buffer, &err);
    REQUIRE_MESSAGE(status == MM_OK, err.message);
    return buffer;
  }
  const mm_layer_class& cls() const { return *layer_->cls; }

 private:
  mm_layer* layer_ = nullptr;
};

// Checks that a spec is refused with MM_ERR_INVALID_ARGUMENT and a message naming `field`.
inline void check_refused(const Context& c, const mm_op_spec& s, const std::string& field) {
  const Outcome o = try_create(c, s);
  CAPTURE(o.message);
  CHECK(o.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(o.message.find(field) != std::string::npos);
}

}  // namespace mmtest
