// Shared pieces of core's generic operators: the three cost patterns several ops follow (a matmul against a
// weight matrix, a row-wise normalisation, a per-element op) and the formatting every shapes() line uses.
// Every formula here is written out in docs/metrics.md and in the doc page of each op that uses it.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <modelmeter/sdk.hpp>
#include <string>

namespace modelmeter::core::ops {

using modelmeter::Metrics;
using modelmeter::Pass;

// 1 for a set flag (bias, causal, ...), else 0: lets a flag appear as a factor in a formula.
inline double indicator(bool flag) noexcept {
  return flag ? 1.0 : 0.0;
}

inline const char* yes_no(bool flag) noexcept {
  return flag ? "yes" : "no";
}

// A count for a shapes() line: integers without a decimal point, expected (fractional) values with 6 digits.
inline std::string format_count(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

// mm_op_spec.shared_weights: the weights belong to another instance of the module, so this one owns no
// parameters and no weight memory; its weight reads are unchanged.
inline Metrics without_owned_weights(Metrics m) noexcept {
  m.parameters = 0;
  m.weight_bytes = 0;
  return m;
}

// ------------------------------------------------------------------------------------------------------
// A matmul against a weight matrix (Linear; Conv2d as an implicit GEMM). Counts are elements.
struct MatmulCost {
  double macs;             // multiply-accumulates of the forward product
  double input_elements;   // x
  double output_elements;  // y
  double weight_read;      // weight-matrix elements read in one step (bias excluded)
  double bias_read;        // bias elements read in one step
  double parameters;       // every parameter of the op (all groups, bias included)
  double bias_adds;        // forward bias additions = backward bias-gradient additions
};

inline Metrics matmul_metrics(const MatmulCost& c, double bw, double ba, Pass pass) {
  Metrics m;
  m.parameters = c.parameters;         // state: parameters (backward: the same, all trainable)
  m.weight_bytes = bw * c.parameters;  // state: weights (backward: their gradients, same precision)
  if (pass == Pass::Forward) {
    m.tc_flops = 2 * c.macs;     // 2 FLOPs per MAC
    m.cuda_flops = c.bias_adds;  // bias adds are CUDA-core FLOPs
    m.io_bytes = ba * c.input_elements + bw * (c.weight_read + c.bias_read) + ba * c.output_elements;  // x, W, b, y
    m.activation_bytes = ba * c.output_elements;                                                       // y written
    m.live_bytes = ba * (c.input_elements + c.output_elements);  // x and y (weights are not activations)
  } else {
    m.tc_flops = 2 * (2 * c.macs);  // grad-input dX = dY·W plus grad-weight dW = dYᵀ·x, 2 FLOPs per MAC each
    m.cuda_flops = c.bias_adds;     // bias gradient: dY summed over rows
    m.io_bytes = ba * c.output_elements + bw * c.weight_read + ba * c.input_elements +  // read dY, W, x
                 ba * c.input_elements + bw * (c.weight_read + c.bias_read);            // write dX, dW, db
    m.activation_bytes = ba * c.input_elements;                                         // dX written
    m.live_bytes = ba * (2 * c.input_elements + c.output_elements);                     // x, dY, dX
  }
  return m;
}

// ------------------------------------------------------------------------------------------------------
// A normalisation over the last `features` of `rows` rows with per-feature weight vectors (LayerNorm, RMSNorm).
struct NormCost {
  double forward_flops;   // CUDA-core FLOPs per element, forward
  double backward_flops;  // CUDA-core FLOPs per element, backward
  double weight_vectors;  // per-feature parameter vectors: γ (1), γ and β (2)
};

inline Metrics norm_metrics(double rows, double features, double bw, double ba, const NormCost& c, Pass pass) {
  const double elements = rows * features;
  const double params = c.weight_vectors * features;
  Metrics m;
  m.parameters = params;         // state: γ (and β)
  m.weight_bytes = bw * params;  // state: weights (backward: their gradients)
  if (pass == Pass::Forward) {
    m.cuda_flops = c.forward_flops * elements;                 // per-element count, see the op's page
    m.io_bytes = ba * elements + bw * params + ba * elements;  // read x, γ, β; write y
    m.activation_bytes = ba * elements;                        // y
    m.live_bytes = 2 * ba * elements;                          // x and y
  } else {
    m.cuda_flops = c.backward_flops * elements;  // per-element count, see the op's page
    m.io_bytes = 2 * ba * elements + bw * features + ba * elements + bw * params;  // read x, dY, γ; write dX, dγ, dβ
    m.activation_bytes = ba * elements;                                            // dX
    m.live_bytes = 3 * ba * elements;                                              // x, dY, dX
  }
  return m;
}

// ------------------------------------------------------------------------------------------------------
// A per-element op on T×F tensors (activations, Add, Mul, Softmax): its shape and precision, what it computes
// per element, and how many T×F tensors each pass reads and writes.
struct ElementwiseShape {
  double tokens;    // T
  double features;  // F
  double ba;        // bytes per activation element

  ElementwiseShape(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
      : tokens(spec.tokens), features(static_cast<double>(spec.features)), ba(ctx.precision().activation_bytes) {}
  std::string describe() const { return "tokens=" + format_count(tokens) + " features=" + format_count(features); }
};

struct ElementwiseCost {
  double forward_flops;    // CUDA-core FLOPs per element, forward
  double backward_flops;   // CUDA-core FLOPs per element, backward
  double forward_reads;    // tensors read, forward (x; or a and b)
  double forward_writes;   // tensors written, forward (y)
  double backward_reads;   // tensors read, backward (dY and what the derivative needs)
  double backward_writes;  // tensors written, backward (one gradient per input)
};

inline Metrics elementwise_metrics(const ElementwiseShape& s, const ElementwiseCost& c, Pass pass) {
  const bool forward = pass == Pass::Forward;
  const double elements = s.tokens * s.features;  // T·F
  const double flops = forward ? c.forward_flops : c.backward_flops;
  const double reads = forward ? c.forward_reads : c.backward_reads;
  const double writes = forward ? c.forward_writes : c.backward_writes;
  Metrics m;
  m.cuda_flops = flops * elements;                    // per-element count, see the op's page
  m.io_bytes = s.ba * elements * (reads + writes);    // each tensor read or written once
  m.activation_bytes = s.ba * elements * writes;      // outputs (backward: input gradients)
  m.live_bytes = s.ba * elements * (reads + writes);  // every tensor the pass touches
  return m;                                           // no weights, no Tensor-Core work, no KV cache
}

}  // namespace modelmeter::core::ops
