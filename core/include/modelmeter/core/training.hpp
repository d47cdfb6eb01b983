// The cost of one training step (docs/training.md): forward + backward (+ recomputation) FLOPs and roofline
// time, model FLOPs utilisation, and memory = weights + gradients + optimizer states + saved activations, from
// the forward and backward metrics every layer already defines (mm_eval.pass = MM_PASS_BACKWARD).
#pragma once

#include <modelmeter/abi.h>

#include <cstdint>
#include <modelmeter/core/collectives.hpp>
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
  double time_s = 0;  // forward + backward + recompute + optimizer (+ comm_time_s, apply_data_parallel)
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
  // The weights of the largest child of the root, one instance (a transformer layer, the embedding or the head):
  // what ZeRO-3 gathers at once (gathered_weight_bytes).
  double largest_unit_weight_bytes = 0;
  // Data parallelism and ZeRO (apply_data_parallel; 1 / 0 / 0 without): the memory figures above are then one
  // GPU's, the optimizer part covers that GPU's shard, and the step time adds the gradient synchronisation.
  double dp = 1;
  int zero = 0;
  double gathered_weight_bytes = 0;  // ZeRO-3: one unit's full weights, gathered while it runs
  double comm_bytes = 0;             // bytes each GPU sends (= receives) in the step's DP collectives
  double comm_time_s = 0;            // their time on the interconnect, not overlapped with compute
  const char* comm_algorithm = "none";
  double total_bytes() const {
    return weight_bytes + gradient_bytes + optimizer_bytes + activation_bytes + gathered_weight_bytes;
  }
  double mfu(double tensor_peak_flops) const { return model_flops / (time_s * tensor_peak_flops); }
};

// The step for a stage tree and its nodes' own metrics for one step (forward and backward, as
// PreparedRun::Stage::own holds them), at the given achieved rates.
MM_CORE_API Step training_step(const StageTree& tree, const std::vector<NodeValues>& own, const RooflineRates& rates,
                               const Options& options);

// Per-GPU bytes of the model states under ZeRO stage `zero` (0-3) over `dp` GPUs (Rajbhandari et al. 2020,
// §5): stage 1 divides the optimizer states (master weights + moments) by dp, stage 2 also the gradients,
// stage 3 also the weights. With 16-bit weights and gradients and K bytes of optimizer state per parameter Ψ:
// (2 + 2 + K)Ψ, 2Ψ + 2Ψ + KΨ/dp, 2Ψ + (2 + K)Ψ/dp, (2 + 2 + K)Ψ/dp.
struct ZeroMemory {
  double weights = 0, gradients = 0, optimizer = 0;
  double total() const { return weights + gradients + optimizer; }
};
MM_CORE_API ZeroMemory zero_memory(double weight_bytes, double gradient_bytes, double optimizer_bytes, double dp,
                                   int zero) noexcept;

// The DP collectives of one step, bytes each GPU sends (docs/training.md): stages 0 and 1 all-reduce the
// gradients (2(g−1)/g·G); stage 2 reduce-scatters them and all-gathers the updated weights ((g−1)/g·(G + W));
// stage 3 reduce-scatters the gradients and all-gathers the weights in the forward and again in the backward
// pass ((g−1)/g·(G + 2W)).
struct ZeroCollective {
  Collective kind = Collective::AllReduce;
  double bytes = 0;  // the buffer S of collective_bytes / collective_time
};
MM_CORE_API std::vector<ZeroCollective> zero_collectives(double weight_bytes, double gradient_bytes, int zero);

// Turns one replica's step (training_step over batch / dp samples) into one GPU's step of dp data-parallel
// replicas with ZeRO stage `options.zero`: memory per GPU (zero_memory, plus one unit's gathered weights at
// stage 3), the optimizer update of the GPU's shard (÷ dp from stage 1), and the collectives timed on the
// profile's interconnect (the DP group has stride `stride` GPUs: parallel.tp), added to the step time with no
// overlap. dp = 1 changes nothing. Throws InputError when dp > 1 and the profile lacks its interconnect.
MM_CORE_API void apply_data_parallel(Step& step, const Hardware& hw, double dp, double stride, int zero);

// Bytes one node keeps for its backward pass, by recomputation mode (one instance; docs/training.md, "Saved
// activations"). `fusion_input_shared`: a Linear whose input another Linear of its fusion group keeps.
struct Saved {
  double none = 0, selective = 0;  // full mode keeps only layer inputs (see training_step)
  double input = 0;                // the tensor the node reads: what a layer checkpoint keeps of its first op
};
MM_CORE_API Saved saved_activations(const StageTree& tree, const std::vector<NodeValues>& own, uint32_t node,
                                    bool dropout, bool fusion_input_shared);

}  // namespace modelmeter::core::training
