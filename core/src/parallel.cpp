// The parallel layout of a run (docs/parallelism.md).
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/parallel.hpp>

namespace modelmeter::core {

namespace {

uint32_t degree(const ResolvedConfig& c, const char* key) {
  const auto it = c.settings.find(key);
  return it == c.settings.end() ? 1 : static_cast<uint32_t>(it->second.value.integer);
}

std::string count_text(double v) {
  return std::to_string(static_cast<long long>(v));
}

}  // namespace

std::string divisors_text(uint64_t n) {
  std::string s;
  for (uint64_t d = 1; d <= n; ++d) {
    if (n % d == 0) s += (s.empty() ? "" : ", ") + std::to_string(d);
  }
  return s;
}

ParallelLayout parallel_layout(const ResolvedConfig& config) {
  ParallelLayout l;
  l.tp = degree(config, "parallel.tp");
  l.pp = degree(config, "parallel.pp");
  l.ep = degree(config, "parallel.ep");
  l.dp = degree(config, "parallel.dp");
  const uint64_t ranks = static_cast<uint64_t>(l.tp) * l.dp;
  if (ranks % l.ep != 0) {
    throw InputError("workload key 'parallel.ep' = " + std::to_string(l.ep) +
                     " must divide parallel.tp * parallel.dp = " + std::to_string(ranks) +
                     " (allowed: " + divisors_text(ranks) + ")");
  }
  return l;
}

void check_cluster(const ParallelLayout& layout, const Hardware& hw) {
  const double cluster = hw.cluster_gpus();
  if (layout.gpus() > cluster) {
    throw InputError("workload keys parallel.tp * parallel.pp * parallel.dp = " + count_text(layout.gpus()) +
                     " GPUs exceed hardware '" + hw.id + "' (" + count_text(hw.nodes) + " node(s) x " +
                     count_text(hw.gpus_per_node > 0 ? hw.gpus_per_node : 1) + " GPUs = " + count_text(cluster) +
                     "; allowed: at most " + count_text(cluster) + " GPUs, or a profile with more interconnect.nodes)");
  }
}

}  // namespace modelmeter::core
