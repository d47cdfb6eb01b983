// Leaf ops → kernels, and the calibrated time of one node (docs/calibration.md, "Kernels, not ops").
#include "calibration/kernel_map.hpp"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <modelmeter/core/hardware.hpp>

#include "ops/core_op.hpp"

namespace modelmeter::core {

namespace {

using Kernel = StageTree::Kernel;

// Plugin leaves by category: the kernel kind whose parameters time them.
KernelKind kind_of_category(mm_category c) {
  switch (c) {
    case MM_CATEGORY_MATMUL:
    case MM_CATEGORY_CONV:
      return KernelKind::Matmul;
    case MM_CATEGORY_NORM:
      return KernelKind::RmsNorm;
    case MM_CATEGORY_ACTIVATION:
      return KernelKind::Gelu;
    case MM_CATEGORY_EMBEDDING:
      return KernelKind::Embedding;
    case MM_CATEGORY_POSITIONAL:
      return KernelKind::Rotary;
    default:
      return KernelKind::Add;  // element-wise glue, routing, data movement
  }
}

// The kernel of one core op on its own. `io_bytes`: the op's DRAM bytes in one step.
Kernel kernel_of(const ops::CoreOp& op, double io_bytes) {
  const mm_op_spec& s = op.spec();
  const mm_precision& p = op.precision();
  Kernel k;
  k.how = Kernel::How::Shape;
  KernelShape& sh = k.shape;
  sh.activation_bytes = p.activation_bytes;
  sh.weight_bytes = p.weight_bytes;
  sh.bytes = io_bytes;  // memory kinds: the op's own traffic
  sh.m = s.tokens;
  sh.n = static_cast<double>(s.features);
  switch (s.kind) {
    case MM_OP_LINEAR: {
      sh.kind = KernelKind::Matmul;
      sh.n = static_cast<double>(s.out_features);
      sh.k = static_cast<double>(s.in_features);
      const double groups = s.groups > 0 ? static_cast<double>(s.groups) : 1;
      sh.groups = s.groups_touched > 0 ? s.groups_touched : groups;
      break;
    }
    case MM_OP_CONV2D: {  // implicit GEMM: one row per output pixel, K = C_in·kh·kw
      sh.kind = KernelKind::Matmul;
      const auto out = [&](uint64_t in, uint64_t kernel) {
        return static_cast<double>((in + 2 * s.padding - kernel) / s.stride + 1);
      };
      sh.m = static_cast<double>(s.batch) * out(s.in_h, s.kernel_h) * out(s.in_w, s.kernel_w);
      sh.n = static_cast<double>(s.out_features);
      sh.k = static_cast<double>(s.in_features * s.kernel_h * s.kernel_w);
      break;
    }
    case MM_OP_RMSNORM:
    case MM_OP_LAYERNORM:
    case MM_OP_SOFTMAX:  // a row reduction, like a norm
      sh.kind = KernelKind::RmsNorm;
      break;
    case MM_OP_GELU:
    case MM_OP_SILU:
      sh.kind = KernelKind::Gelu;
      break;
    case MM_OP_EMBEDDING:
      sh.kind = KernelKind::Embedding;
      break;
    case MM_OP_ALL_REDUCE:
    case MM_OP_ALL_GATHER:
    case MM_OP_REDUCE_SCATTER:
    case MM_OP_ALL_TO_ALL:
    case MM_OP_SEND_RECV:
      k.how = Kernel::How::None;  // timed on the interconnect (run.cpp, comm_time), not as a GPU kernel
      return k;
    case MM_OP_ATTENTION:
      k.how = Kernel::How::Attention;
      sh.kind = KernelKind::Matmul;
      break;
    default:  // ADD, MUL
      sh.kind = KernelKind::Add;
      break;
  }
  if (sh.kind == KernelKind::Matmul) sh.bytes = -1;  // from m, n, k
  return k;
}

double one_step_io(const StageTree::Node& nd) {
  double out[MM_METRIC_COUNT] = {};
  uint32_t filled = 0;
  mm_error err;
  err.code = MM_OK;
  err.message[0] = '\0';
  const mm_eval ev{sizeof(mm_eval), MM_PASS_FORWARD, 0, 1};
  if (nd.cls.metrics(nd.layer, &ev, out, MM_METRIC_COUNT, &filled, &err) != MM_OK || filled <= MM_METRIC_IO_BYTES) {
    return 0;  // the evaluation reports the failure with its context
  }
  return out[MM_METRIC_IO_BYTES];
}

}  // namespace

void map_kernels(StageTree& t, const std::string& plugin_name, std::vector<std::string>& warnings) {
  const auto n = static_cast<uint32_t>(t.nodes.size());
  t.kernels.assign(n, Kernel{});
  std::vector<const ops::CoreOp*> core(n, nullptr);
  for (uint32_t i = 0; i < n; ++i) {
    const StageTree::Node& nd = t.nodes[i];
    core[i] = ops::core_op_of(nd.layer);
    if (core[i] != nullptr) {
      t.kernels[i] = kernel_of(*core[i], one_step_io(nd));
    } else if (nd.first_child != StageTree::kNone && nd.category == MM_CATEGORY_COMPOSITE) {
      t.kernels[i].shape.kind = KernelKind::Add;  // a container's own glue ops, if any
    } else {
      t.kernels[i].how = nd.category == MM_CATEGORY_ATTENTION ? Kernel::How::Attention : Kernel::How::Metrics;
      t.kernels[i].shape.kind =
          nd.category == MM_CATEGORY_ATTENTION ? KernelKind::Matmul : kind_of_category(nd.category);
    }
  }
  // Fusion groups: siblings with the same key.
  for (uint32_t p = 0; p < n; ++p) {
    std::map<std::string, std::vector<uint32_t>> groups;
    for (uint32_t c = t.nodes[p].first_child; c != StageTree::kNone; c = t.nodes[c].next_sibling) {
      if (t.nodes[c].fusion != nullptr && t.nodes[c].fusion[0] != '\0') groups[t.nodes[c].fusion].push_back(c);
    }
    for (const auto& [key, members] : groups) {
      if (members.size() < 2) continue;
      bool ok = true;
      for (uint32_t m : members) {
        ok = ok && core[m] != nullptr && t.kernels[m].how == Kernel::How::Shape &&
             t.nodes[m].repeat == t.nodes[members[0]].repeat;
      }
      const auto& s0 = ok ? core[members[0]]->spec() : mm_op_spec{};
      bool gemm = ok, gated = ok && members.size() == 2;
      for (uint32_t m : members) {
        if (!ok) break;
        const mm_op_spec& s = core[m]->spec();
        gemm = gemm && s.kind == MM_OP_LINEAR && s.tokens == s0.tokens && s.in_features == s0.in_features &&
               s.groups == s0.groups && s.groups_touched == s0.groups_touched;
      }
      if (gated) {
        const mm_op_spec& a = core[members[0]]->spec();
        const mm_op_spec& b = core[members[1]]->spec();
        const bool act = a.kind == MM_OP_SILU || a.kind == MM_OP_GELU;
        gated = act && b.kind == MM_OP_MUL && a.tokens == b.tokens && a.features == b.features;
      }
      if (!gemm && !gated) {
        warnings.push_back("plugin '" + plugin_name + "' layer '" + t.path(p) + "': fusion group '" + key +
                           "' holds ops core cannot run as one kernel (fusable: linear layers sharing their input, "
                           "or an activation followed by a product); timed as separate kernels");
        continue;
      }
      KernelShape fused = t.kernels[members[0]].shape;
      std::vector<double> weight;
      if (gemm) {
        fused.n = 0;
        for (uint32_t m : members) {
          fused.n += static_cast<double>(core[m]->spec().out_features);
          weight.push_back(static_cast<double>(core[m]->spec().out_features));
        }
      } else {
        fused.kind = KernelKind::SiluMul;  // act(gate)·up: read two, write one (GELU-gated too)
        fused.bytes = -1;
        for (uint32_t m : members) weight.push_back(std::max(t.kernels[m].shape.bytes, 1.0));
      }
      double total = 0;
      for (double w : weight) total += w;
      for (std::size_t j = 0; j < members.size(); ++j) {
        Kernel& k = t.kernels[members[j]];
        k.shape = fused;
        k.share = weight[j] / total;
      }
    }
  }
}

std::shared_ptr<const std::vector<KernelTime>> StageTree::shape_times(const Hardware& hw) const {
  // The profile as the model reads it (a file of the same name elsewhere may hold other figures).
  char figures[160];
  std::snprintf(figures, sizeof figures, "|%.17g|%.17g|%.17g|%.17g|%.17g|%.17g", hw.bandwidth, hw.sm_count, hw.l2_bytes,
                hw.cuda_fp32_peak, hw.tensor_peak[MM_DTYPE_FP16].value_or(0),
                hw.tensor_peak[MM_DTYPE_BF16].value_or(0));
  const std::string key = hw.id + "|" + hw.path.string() + figures;
  const std::lock_guard<std::mutex> lock(kernel_times_mutex);
  for (const KernelTimes& k : kernel_times) {
    if (k.calibration == hw.calibration.get() && k.hardware_id == key) return k.times;
  }
  auto times = std::make_shared<std::vector<KernelTime>>(kernels.size());
  for (std::size_t i = 0; i < kernels.size(); ++i) {
    if (kernels[i].how == Kernel::How::Shape) (*times)[i] = kernel_time(hw, *hw.calibration, kernels[i].shape);
  }
  if (kernel_times.size() >= 16) kernel_times.erase(kernel_times.begin());  // bounded: a sweep's profiles
  kernel_times.push_back(KernelTimes{hw.calibration.get(), key, hw.calibration, times});
  return times;
}

RooflineTime calibrated_own_time(const Hardware& hw, const Calibration& c, const StageTree::Kernel& k,
                                 const RooflineTime& roofline, const MetricValues& own, uint64_t steps,
                                 const KernelTime* shape_time) {
  const double n = static_cast<double>(steps);
  switch (k.how) {
    case Kernel::How::None:
      return {};
    case Kernel::How::Shape: {
      const KernelTime t = shape_time != nullptr ? *shape_time : kernel_time(hw, c, k.shape);
      return {t.time_s * n * k.share, t.compute_s * n * k.share};
    }
    case Kernel::How::Attention: {
      if (roofline.time_s == 0) return {};
      const double lat = c.matmul.latency_us * 1e-6 * n;
      return {roofline.time_s + lat, roofline.compute_bound_s > 0 ? roofline.compute_bound_s + lat : 0};
    }
    case Kernel::How::Metrics:
      break;
  }
  if (roofline.time_s == 0) return {};  // a container without glue of its own
  // The roofline split into its compute-bound and memory-bound parts, each at the kind's fitted efficiency.
  const double compute = roofline.compute_bound_s / c.matmul.eta_compute;
  double memory = roofline.time_s - roofline.compute_bound_s;
  double lat;
  if (k.shape.kind == KernelKind::Matmul) {
    memory /= c.matmul.eta_memory;
    lat = c.matmul.latency_us;
  } else {
    const MemoryParams& p = c.memory[static_cast<std::size_t>(k.shape.kind)];
    memory /= p.eta;
    lat = p.latency_us;
  }
  (void)own;
  (void)hw;
  const double total = compute + memory + lat * 1e-6 * n;
  return {total, compute > 0 ? compute + (memory > 0 ? 0 : lat * 1e-6 * n) : 0};
}

}  // namespace modelmeter::core
