// The settings of a training step (docs/training.md): recomputation, optimizer, dropout. Separate from
// training.hpp so that run.hpp can hold them without the training model.
#pragma once

#include <modelmeter/core/export.hpp>
#include <optional>
#include <string_view>

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
  // ZeRO stage (Rajbhandari et al. 2020) over the data-parallel group (workload key train.zero, docs/training.md):
  // 0 none, 1 optimizer states sharded, 2 + gradients, 3 + weights.
  int zero = 0;
};

}  // namespace modelmeter::core::training
