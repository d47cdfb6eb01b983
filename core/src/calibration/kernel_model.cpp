// The calibrated kernel time model (docs/calibration.md, "The time model").
#include "kernel_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <utility>

namespace modelmeter::core {

namespace {

constexpr const char* kKindNames[] = {"matmul", "rmsnorm", "silu_mul",  "gelu",
                                      "rotary", "add",     "embedding", "all_reduce"};
static_assert(std::size(kKindNames) == kKernelKinds);

// Output tiles (rows × columns of C) the GEMM libraries choose among; the model takes the one that finishes
// first, as their heuristics try to.
constexpr std::array<std::pair<double, double>, kMatmulTiles> kTiles = {
    {{128, 256}, {256, 128}, {128, 128}, {64, 256}, {64, 128}, {128, 64}, {64, 64}}};

double peak_for(const Hardware& hw, double activation_bytes) {
  // Matmuls run in the activations' dtype: 4 bytes fp32 (TF32 peak), 2 bytes bf16/fp16, 1 byte fp8.
  if (activation_bytes >= 4) return hw.tensor_peak_for(MM_DTYPE_FP32);
  if (activation_bytes >= 2) {
    return hw.tensor_peak[MM_DTYPE_FP16] ? *hw.tensor_peak[MM_DTYPE_FP16] : hw.tensor_peak_for(MM_DTYPE_BF16);
  }
  return hw.tensor_peak[MM_DTYPE_FP8] ? *hw.tensor_peak[MM_DTYPE_FP8] : hw.tensor_peak_for(MM_DTYPE_BF16);
}

// The share of DRAM time left when part of the data is served from L2: 1 − gain·L2/(L2 + bytes).
double cache_factor(const Hardware& hw, double gain, double bytes) {
  return hw.l2_bytes > 0 ? 1 - gain * hw.l2_bytes / (hw.l2_bytes + bytes) : 1;
}

void require_chip(const Hardware& hw) {
  if (!(hw.sm_count > 0)) {
    throw InputError("hardware '" + hw.id + "' (" + hw.path.string() +
                     ") has no [chip] sm_count, which the calibrated matmul model needs; add it from the datasheet");
  }
}

void require_interconnect(const Hardware& hw, uint32_t nodes) {
  if (!(hw.link_bandwidth > 0) || (nodes > 1 && !(hw.network_bandwidth > 0))) {
    throw InputError("hardware '" + hw.id + "' (" + hw.path.string() + ") has no [interconnect] " +
                     (nodes > 1 ? "network_gb_s" : "link_gb_s") + ", which the all_reduce model needs");
  }
}

}  // namespace

const char* kernel_kind_name(KernelKind k) {
  const auto i = static_cast<std::size_t>(k);
  return i < kKernelKinds ? kKindNames[i] : "?";
}

std::optional<KernelKind> parse_kernel_kind(std::string_view name) {
  for (std::size_t i = 0; i < kKernelKinds; ++i)
    if (name == kKindNames[i]) return static_cast<KernelKind>(i);
  return std::nullopt;
}

double kernel_bytes(const KernelShape& s) {
  if (s.bytes >= 0) return s.bytes;
  const double ba = s.activation_bytes, bw = s.weight_bytes, mn = s.m * s.n;
  switch (s.kind) {
    case KernelKind::Matmul:  // read A and B (the touched groups' weights), write C
      return s.groups * ((s.m / s.groups) * s.k * ba + s.k * s.n * bw + (s.m / s.groups) * s.n * ba);
    case KernelKind::RmsNorm:  // read x and γ, write y (core's RMSNorm)
      return 2 * ba * mn + bw * s.n;
    case KernelKind::SiluMul:  // read gate and up, write the product: one fused kernel
      return 3 * ba * mn;
    case KernelKind::Gelu:    // read x, write y
    case KernelKind::Rotary:  // read the rotated elements, write them back
      return 2 * ba * mn;
    case KernelKind::Add:  // read two tensors, write one
      return 3 * ba * mn;
    case KernelKind::Embedding:  // read the gathered rows and the ids (4-byte), write y (core's Embedding)
      return bw * mn + 4 * s.m + ba * mn;
    case KernelKind::AllReduce:
    case KernelKind::Count:
      break;
  }
  return 0;
}

MatmulTiles matmul_tiles(const Hardware& hw, const KernelShape& s) {
  MatmulTiles t;
  if (!(s.m > 0 && s.n > 0 && s.k > 0)) return t;  // known by its metrics only: no tiles to count
  require_chip(hw);
  t.counted = true;
  const double groups = std::max(1.0, s.groups);
  const double rows = std::max(1.0, std::ceil(s.m / groups));  // rows per group (an expected count rounds up)
  for (std::size_t i = 0; i < kMatmulTiles; ++i) {
    const auto& [tm, tn] = kTiles[i];
    const double tiles = std::ceil(rows / tm) * std::ceil(s.n / tn) * groups;
    t.waves[i] = std::ceil(tiles / hw.sm_count);
    t.work[i] = tm * tn * 2 * s.k * hw.sm_count;
  }
  return t;
}

KernelTime matmul_time(const Hardware& hw, const MatmulParams& p, const KernelShape& s, const MatmulTiles& tiles) {
  KernelTime t;
  const double peak = peak_for(hw, s.activation_bytes) * p.eta_compute;
  const double bytes = kernel_bytes(s);
  const double mem = bytes / (hw.bandwidth * p.eta_memory) * cache_factor(hw, p.cache_gain, bytes);
  double compute;
  if (tiles.counted) {
    double best = INFINITY;  // the tile shape that finishes first
    for (std::size_t i = 0; i < kMatmulTiles; ++i) {
      best = std::min(best, tiles.waves[i] * tiles.work[i] / peak + tiles.waves[i] * p.wave_overhead_us * 1e-6);
    }
    compute = best;
  } else {
    compute = s.tensor_flops / peak + s.cuda_flops / hw.cuda_fp32_peak;
  }
  // The blend ((c/hi)^q + (m/hi)^q)^(1/q)·hi, hi = max(c, m): the larger term's ratio is exactly 1.
  const double q = std::max(1.0, p.blend);
  const double hi = std::max(compute, mem);
  const double sum = compute >= mem ? 1 + std::pow(mem / hi, q) : std::pow(compute / hi, q) + 1;
  const double body = hi > 0 ? hi * std::pow(sum, 1 / q) : 0;
  t.time_s = p.latency_us * 1e-6 + body;
  t.compute_s = compute >= mem ? t.time_s : 0;
  return t;
}

KernelTime kernel_time(const Hardware& hw, const Calibration& c, const KernelShape& s) {
  KernelTime t;
  if (s.kind == KernelKind::Matmul) return matmul_time(hw, c.matmul, s, matmul_tiles(hw, s));
  if (s.kind == KernelKind::AllReduce) {
    const AllReduceParams& p = c.all_reduce;
    require_interconnect(hw, s.nodes);
    const double g = std::max<double>(1, s.gpus);
    if (g <= 1) return t;  // nothing to reduce
    const double nodes = std::clamp<double>(s.nodes, 1, g);
    const double per_node = std::ceil(g / nodes);
    double time = p.latency_us * 1e-6;
    if (per_node > 1) {  // ring within the node
      time += 2 * (per_node - 1) * p.step_latency_us * 1e-6 +
              2 * (per_node - 1) / per_node * s.bytes / (hw.link_bandwidth * p.link_efficiency);
    }
    if (nodes > 1) {  // ring over the nodes, on each GPU's share of the buffer
      time += p.network_latency_us * 1e-6 + 2 * (nodes - 1) * p.step_latency_us * 1e-6 +
              2 * (nodes - 1) / nodes * (s.bytes / per_node) / (hw.network_bandwidth * p.network_efficiency);
    }
    t.time_s = time;
    return t;
  }
  const MemoryParams& p = c.memory[static_cast<std::size_t>(s.kind)];
  const double bytes = kernel_bytes(s);
  const double mem = bytes / (hw.bandwidth * p.eta) * cache_factor(hw, p.cache_gain, bytes);
  const double compute =
      s.tensor_flops / (peak_for(hw, s.activation_bytes) * c.matmul.eta_compute) + s.cuda_flops / hw.cuda_fp32_peak;
  t.time_s = p.latency_us * 1e-6 + std::max(mem, compute);
  t.compute_s = compute > mem ? t.time_s : 0;
  return t;
}

double roofline_kernel_time(const Hardware& hw, const KernelShape& s) {
  const double bw = hw.bandwidth * hw.eff_memory;
  if (s.kind == KernelKind::AllReduce) {
    const double g = std::max<double>(1, s.gpus);
    const double nodes = std::clamp<double>(s.nodes, 1, g);
    const double link = nodes > 1 ? hw.network_bandwidth : hw.link_bandwidth;
    require_interconnect(hw, s.nodes);
    return 2 * (g - 1) / g * s.bytes / link;
  }
  const double mem = kernel_bytes(s) / bw;
  double compute = s.cuda_flops / (hw.cuda_fp32_peak * hw.eff_cuda);
  if (s.kind == KernelKind::Matmul) {
    compute += (s.m > 0 ? 2 * s.m * s.n * s.k : s.tensor_flops) / (peak_for(hw, s.activation_bytes) * hw.eff_tensor);
  } else {
    compute += s.tensor_flops / (peak_for(hw, s.activation_bytes) * hw.eff_tensor);
  }
  return std::max(mem, compute);
}

}  // namespace modelmeter::core
