// The cost of one training step (docs/training.md): forward + backward (+ recomputation) FLOPs and roofline
// time, model FLOPs utilisation, and memory = weights + gradients + optimizer states + saved activations, from
// the forward and backward metrics every layer already defines (mm_eval.pass = MM_PASS_BACKWARD).
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/training_options.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace modelmeter::core::training {

// FLOPs and traffic of one part of the step, and its roofline time (Σ over ops of max(compute, memory)).
struct Part {
  double tc_flops = 0, cuda_flops = 0, io_bytes = 0;
  double time_s = 0;
};

struct Step {
  Part forward;       // one forward pass over the global batch
  Part backward;      // its backward pass (activation and weight gradients)
  Part recompute;     // the forward work run again (0 without recomputation)
  Part optimizer;     // one optimizer update over every parameter
  double time_s = 0;  // forward + backward + recompute + optimizer
  // Model FLOPs: 3 × the forward Tensor-Core FLOPs (every matmul's backward is twice its forward; recomputation,
  // including flash attention's recomputation of QKᵀ in its backward kernel, is excluded).
  double model_flops = 0;
  double hardware_flops = 0;  // Tensor-Core FLOPs actually run: forward + backward + recompute
  // Memory, bytes.
  double parameters = 0;
  double weight_bytes = 0;
  double gradient_bytes = 0;
  double optimizer_bytes = 0;          // master weights + optimizer state
  double activation_bytes = 0;         // kept for the backward pass (the recomputation mode's), + working set
  double recompute_working_bytes = 0;  // full: one layer's activations, rebuilt while its backward runs
  double layers = 0;                   // transformer layers found (root children holding an attention op)
  double total_bytes() const { return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes; }
  double mfu(double tensor_peak_flops) const { return model_flops / (time_s * tensor_peak_flops); }
};

// The step for a stage tree and its nodes' own metrics for one step (forward and backward, as
// PreparedRun::Stage::own holds them), at the given achieved rates.
MM_CORE_API Step training_step(const StageTree& tree, const std::vector<NodeValues>& own, const RooflineRates& rates,
                               const Options& options);

// Bytes one node keeps for its backward pass, by recomputation mode (one instance; docs/training.md, "Saved
// activations"). `fusion_input_shared`: a Linear whose input another Linear of its fusion group keeps.
struct Saved {
  double none = 0, selective = 0;  // full mode keeps only layer inputs (see training_step)
  double input = 0;                // the tensor the node reads: what a layer checkpoint keeps of its first op
};
MM_CORE_API Saved saved_activations(const StageTree& tree, const std::vector<NodeValues>& own, uint32_t node,
                                    bool dropout, bool fusion_input_shared);

}  // namespace modelmeter::core::training
