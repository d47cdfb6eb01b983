// The parallel layout of a run (workload keys parallel.tp/pp/ep/dp; docs/parallelism.md).
#pragma once

#include <cstdint>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/export.hpp>
#include <string>

namespace modelmeter::core {

struct Hardware;

struct ParallelLayout {
  uint32_t tp = 1, pp = 1, ep = 1, dp = 1;
  // GPUs used: tp · pp · dp (experts spread over the tp · dp GPUs of a pipeline stage, so ep adds none).
  double gpus() const noexcept { return static_cast<double>(tp) * pp * dp; }
  bool trivial() const noexcept { return tp == 1 && pp == 1 && ep == 1 && dp == 1; }
};

// Reads parallel.* from a resolved configuration (1 where a key is absent) and checks what needs no model
// and no hardware: ep divides tp · dp. Throws InputError naming key, value, divisor and the allowed values.
MM_CORE_API ParallelLayout parallel_layout(const ResolvedConfig& config);

// Checks that tp · pp · dp GPUs fit the profile's cluster (nodes × gpus_per_node). Throws InputError.
MM_CORE_API void check_cluster(const ParallelLayout& layout, const Hardware& hw);

// "1, 2, 4, 8": the divisors of n, for "allowed" lists in messages.
MM_CORE_API std::string divisors_text(uint64_t n);

}  // namespace modelmeter::core
