// The cost of one training step (docs/training.md): forward + backward (+ recomputation) FLOPs and roofline
// time, model FLOPs utilisation, and memory = weights + gradients + optimizer states + saved activations, from
// the forward and backward metrics every layer already defines (mm_eval.pass = MM_PASS_BACKWARD).
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/run.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace modelmeter::core::training {

// Activation recomputation (Korthikanti et al. 2022): none; selective (the attention core's s² tensors are
// recomputed in the backward pass); full (only each transformer layer's input is kept, the layer's forward
// is run again before its backward).
enum class Recompute { None, Selective, Full };
MM_CORE_API const char* recompute_name(Recompute r) noexcept;  // "none", "selective", "full"
MM_CORE_API std::optional<Recompute> parse_recompute(std::string_view s) noexcept;

// The optimizer's state per parameter, beyond the weights and their gradients (docs/training.md).
struct Optimizer {
  const char* name = "adam";       // "adam" (m and v), "sgd_momentum" (one buffer), "sgd" (none)
  double master_weight_bytes = 4;  // an fp32 master copy of the weights (0: the weights are the master)
  double state_bytes = 8;          // Adam's two fp32 moments
  double update_flops = 12;        // CUDA-core FLOPs per parameter of one update (Adam, see docs/training.md)
};
// "adam" | "sgd_momentum" | "sgd" with or without an fp32 master copy; nullopt for another name.
MM_CORE_API std::optional<Optimizer> optimizer_named(std::string_view name, bool master_weights) noexcept;

struct Options {
  Recompute recompute = Recompute::None;
  Optimizer optimizer{};
  // Dropout after attention probabilities and before each residual add (GPT): 1-byte masks and the dropped
  // probabilities are kept for the backward pass (Korthikanti's figures assume it). Off: no dropout (Llama).
  bool dropout = false;
};

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
