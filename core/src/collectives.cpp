// Collective communication cost models (docs/parallelism.md, "Collectives").
#include <algorithm>
#include <cmath>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/collectives.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>

namespace modelmeter::core {

namespace {

void require_bandwidth(const Hardware& hw, Collective c, bool network) {
  if (!(hw.link_bandwidth > 0) || (network && !(hw.network_bandwidth > 0))) {
    throw InputError("hardware '" + hw.id + "' (" + hw.path.string() + ") has no [interconnect] " +
                     (network ? "network_gb_s" : "link_gb_s") + ", which the " + collective_name(c) +
                     " model needs; add it from the datasheet");
  }
}

}  // namespace

const char* collective_name(Collective c) noexcept {
  switch (c) {
    case Collective::AllReduce:
      return "all_reduce";
    case Collective::AllGather:
      return "all_gather";
    case Collective::ReduceScatter:
      return "reduce_scatter";
    case Collective::AllToAll:
      return "all_to_all";
    case Collective::SendRecv:
      return "send_recv";
  }
  return "?";
}

CommPlacement place_group(const Hardware& hw, double ranks, double stride) noexcept {
  const double g = std::max(1.0, ranks);
  const double gpn = std::max(1.0, hw.gpus_per_node);
  CommPlacement p;
  p.per_node = std::clamp(std::floor(gpn / std::max(1.0, stride)), 1.0, g);
  p.nodes = std::ceil(g / p.per_node);
  return p;
}

double collective_bytes(Collective c, double bytes, double ranks) noexcept {
  if (!(ranks > 1)) return 0;
  const double g = ranks;
  switch (c) {
    case Collective::AllReduce:
      return 2 * (g - 1) / g * bytes;  // reduce-scatter then all-gather, (g−1)/g·S each
    case Collective::AllGather:
    case Collective::ReduceScatter:
    case Collective::AllToAll:
      return (g - 1) / g * bytes;  // every GPU keeps its own 1/g
    case Collective::SendRecv:
      return bytes;
  }
  return 0;
}

double collective_reduce_flops(Collective c, double elements, double ranks) noexcept {
  if (!(ranks > 1)) return 0;
  if (c == Collective::AllReduce || c == Collective::ReduceScatter) return (ranks - 1) / ranks * elements;
  return 0;
}

CollectiveTime collective_time(const Hardware& hw, Collective c, double bytes, CommPlacement p, double link_efficiency,
                               double network_efficiency) {
  CollectiveTime t;
  const double r = std::max(1.0, p.per_node);
  const double n = std::max(1.0, p.nodes);
  const double g = r * n;
  if (g <= 1 || !(bytes > 0)) return t;
  require_bandwidth(hw, c, n > 1);
  const double bl = hw.link_bandwidth * link_efficiency;
  const double bn = hw.network_bandwidth * network_efficiency;
  const double al = hw.link_latency;
  const double an = hw.network_latency;
  switch (c) {
    case Collective::AllReduce:
    case Collective::AllGather:
    case Collective::ReduceScatter: {
      // Phases: 2 (reduce-scatter + all-gather) for all-reduce, 1 otherwise.
      const double phases = c == Collective::AllReduce ? 2 : 1;
      bool nvls = false;
      if (r > 1) {
        t.link_s = phases * (r - 1) * al + phases * (r - 1) / r * bytes / bl;
        t.bytes = phases * (r - 1) / r * bytes;
        if (c == Collective::AllReduce && hw.nvls) {
          // NVLink SHARP: each GPU sends its whole S to the switch, which reduces it in flight and returns the
          // GPU's 1/r of the sum (multimem.ld_reduce); the GPU then stores its S/r for the switch to multicast to
          // all r (multimem.st). Sent per GPU: S + S/r, received the same; one latency for the whole operation.
          const double sent = (r + 1) / r * bytes;
          const double time = hw.nvls_latency + sent / bl;
          if (time < t.link_s) {
            t.link_s = time;
            t.bytes = sent;
            nvls = true;
          }
        }
      }
      if (n > 1) {
        const double share = bytes / r;  // each GPU of a node carries its 1/r over its own NIC
        const double ring = phases * (n - 1) * an + phases * (n - 1) / n * share / bn;
        const double tree = phases * std::ceil(std::log2(n)) * an + phases * share / bn;
        t.network_s = c == Collective::AllReduce ? std::min(ring, tree) : ring;
        t.bytes += phases * (n - 1) / n * share;  // the ring's count for either (docs/parallelism.md)
        const bool use_tree = c == Collective::AllReduce && tree < ring;
        t.algorithm = nvls ? (use_tree ? "nvls+tree" : "nvls+ring") : (use_tree ? "ring+tree" : "ring");
      } else {
        t.algorithm = nvls ? "nvls" : "ring";
      }
      break;
    }
    case Collective::AllToAll:
      // Each GPU sends S/g to every other GPU: (r−1)·S/g to its node, (g−r)·S/g over the network.
      if (r > 1) t.link_s = al + (r - 1) / g * bytes / bl;
      if (n > 1) t.network_s = an + (g - r) / g * bytes / bn;
      t.time_s = std::max(t.link_s, t.network_s);  // both directions of traffic run concurrently
      t.bytes = (g - 1) / g * bytes;
      t.algorithm = "direct";
      return t;
    case Collective::SendRecv:
      if (n > 1) {
        t.network_s = an + bytes / bn;
      } else {
        t.link_s = al + bytes / bl;
      }
      t.bytes = bytes;
      t.algorithm = "direct";
      break;
  }
  t.time_s = t.link_s + t.network_s;
  return t;
}

double calibrated_all_reduce_time(const Hardware& hw, const Calibration& c, double bytes, CommPlacement p) {
  KernelShape s;
  s.kind = KernelKind::AllReduce;
  s.bytes = bytes;
  s.gpus = static_cast<uint32_t>(std::max(1.0, p.per_node * p.nodes));
  s.nodes = static_cast<uint32_t>(std::max(1.0, p.nodes));
  return kernel_time(hw, c, s).time_s;
}

}  // namespace modelmeter::core
