// Collective communication cost models: bytes each GPU moves and the time a collective takes on the profile's
// interconnect (ring and tree α–β models, hierarchical over nodes). Formulas in docs/parallelism.md.
#pragma once

#include <cstdint>
#include <modelmeter/core/export.hpp>

namespace modelmeter::core {

struct Hardware;
struct Calibration;

enum class Collective : uint8_t { AllReduce, AllGather, ReduceScatter, AllToAll, SendRecv };
MM_CORE_API const char* collective_name(Collective c) noexcept;

// How a group of `ranks` GPUs lies on the cluster: `per_node` of them on each of `nodes` nodes.
struct CommPlacement {
  double per_node = 1;
  double nodes = 1;
};

// Places a group of `ranks` GPUs whose members are `stride` GPUs apart in the global numbering (TP groups are
// contiguous: stride 1; DP groups stride tp; PP groups stride tp·dp). Nodes hold gpus_per_node consecutive
// GPUs (0 counts as 1): per_node = clamp(⌊gpus_per_node / stride⌋, 1, ranks), nodes = ⌈ranks / per_node⌉.
MM_CORE_API CommPlacement place_group(const Hardware& hw, double ranks, double stride) noexcept;

// Bytes each GPU sends (= bytes it receives) for one collective on a buffer of `bytes` per GPU (S) over `ranks`
// GPUs (g), by the ring (point-to-point) algorithms: all-reduce 2(g−1)/g·S (ring; the hierarchical form moves
// the same total; an NVLS all-reduce moves CollectiveTime::bytes instead), all-gather and
// reduce-scatter (g−1)/g·S (S = the whole gathered / reduced buffer), all-to-all (g−1)/g·S (S = what each GPU
// holds before the exchange), send/recv S. 0 when g ≤ 1.
MM_CORE_API double collective_bytes(Collective c, double bytes, double ranks) noexcept;

// CUDA-core FLOPs each GPU spends reducing: all-reduce and reduce-scatter add (g−1)/g·E elements (E = elements
// of the buffer), the other collectives none.
MM_CORE_API double collective_reduce_flops(Collective c, double elements, double ranks) noexcept;

struct CollectiveTime {
  double time_s = 0;     // total
  double link_s = 0;     // the intra-node part (latency and bandwidth)
  double network_s = 0;  // the inter-node part
  double bytes = 0;      // bytes each GPU sends with the chosen algorithm (collective_bytes unless NVLS is chosen)
  // "ring", "ring+tree" (tree over nodes), "nvls", "nvls+ring", "nvls+tree" (NVLS within each node, the ring or
  // tree across), "direct" (all-to-all, send/recv)
  const char* algorithm = "none";
};

// Time of one collective on `bytes` per GPU placed as `p`, at the profile's link and network bandwidth × the
// given efficiencies, with per-hop latencies link_latency / network_latency (docs/parallelism.md):
//   within a node (r GPUs): ring, 2(r−1) steps for all-reduce, r−1 for all-gather / reduce-scatter; an
//   all-reduce on a profile with `nvls` takes the faster of that ring and NVLS, α_nvls + (r+1)/r·S/B_l (each GPU
//   sends its S to the switch, which reduces it, and its S/r reduced share back for the switch to multicast);
//   across N nodes: each GPU carries S/r of the buffer over its own NIC, ring or double binary tree (the
//   faster: 2(N−1)·α_n + 2(N−1)/N·(S/r)/B_n against 2⌈log₂N⌉·α_n + 2·(S/r)/B_n for all-reduce);
//   all-to-all: (r−1)/g·S over the link and (g−r)/g·S over the network, concurrently (the larger counts);
//   send/recv: α + S/B over the link when both GPUs share a node, else the network.
// Throws InputError naming the profile when it lacks link_gb_s (or network_gb_s across nodes).
MM_CORE_API CollectiveTime collective_time(const Hardware& hw, Collective c, double bytes, CommPlacement p,
                                           double link_efficiency = 1, double network_efficiency = 1);

// The calibrated all-reduce (docs/calibration.md) for `bytes` on placement `p`; the same fitted model
// `calibrate` writes, evaluated at any GPU count, node count and size.
MM_CORE_API double calibrated_all_reduce_time(const Hardware& hw, const Calibration& c, double bytes, CommPlacement p);

}  // namespace modelmeter::core
