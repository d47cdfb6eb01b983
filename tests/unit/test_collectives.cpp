// Collective cost models (core/src/collectives.cpp): bytes per GPU and α–β times, derived by hand.
#include <doctest/doctest.h>

#include <algorithm>
#include <modelmeter/core/collectives.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/parallel.hpp>
#include <string>

using namespace modelmeter::core;

namespace {

Hardware node(double gpn, double nodes = 1) {
  Hardware hw;
  hw.id = "test";
  hw.gpus_per_node = gpn;
  hw.nodes = nodes;
  hw.link_bandwidth = 100e9;  // 100 GB/s per direction
  hw.link_latency = 1e-6;
  hw.network_bandwidth = 10e9;
  hw.network_latency = 5e-6;
  return hw;
}

}  // namespace

TEST_CASE("collective bytes per GPU: ring all-reduce 2(g-1)/g S and the others (g-1)/g S") {
  const double s = 1 << 20;
  CHECK(collective_bytes(Collective::AllReduce, s, 2) == doctest::Approx(s));              // 2·1/2·S
  CHECK(collective_bytes(Collective::AllReduce, s, 4) == doctest::Approx(1.5 * s));        // 2·3/4·S
  CHECK(collective_bytes(Collective::AllReduce, s, 8) == doctest::Approx(1.75 * s));       // 2·7/8·S
  CHECK(collective_bytes(Collective::AllGather, s, 4) == doctest::Approx(0.75 * s));       // 3/4·S
  CHECK(collective_bytes(Collective::ReduceScatter, s, 8) == doctest::Approx(0.875 * s));  // 7/8·S
  CHECK(collective_bytes(Collective::AllToAll, s, 4) == doctest::Approx(0.75 * s));        // 3/4·S
  CHECK(collective_bytes(Collective::SendRecv, s, 2) == doctest::Approx(s));
  CHECK(collective_bytes(Collective::AllReduce, s, 1) == 0);
  CHECK(collective_reduce_flops(Collective::AllReduce, 1000, 4) == doctest::Approx(750));  // (g−1)/g·E adds
  CHECK(collective_reduce_flops(Collective::AllGather, 1000, 4) == 0);
}

TEST_CASE("groups are placed on nodes by their stride") {
  const Hardware hw = node(8, 16);
  CommPlacement tp = place_group(hw, 8, 1);  // TP=8: one whole node
  CHECK(tp.per_node == 8);
  CHECK(tp.nodes == 1);
  CommPlacement big = place_group(hw, 32, 1);  // 32 contiguous GPUs: 4 nodes of 8
  CHECK(big.per_node == 8);
  CHECK(big.nodes == 4);
  CommPlacement pp = place_group(hw, 4, 8);  // PP=4 behind TP=8: one GPU per node
  CHECK(pp.per_node == 1);
  CHECK(pp.nodes == 4);
  CommPlacement dp = place_group(hw, 4, 2);  // DP=4 behind TP=2: 4 in a node
  CHECK(dp.per_node == 4);
  CHECK(dp.nodes == 1);
}

TEST_CASE("ring all-reduce within a node: 2(r-1) latencies plus 2(r-1)/r S over the link") {
  const Hardware hw = node(8);
  const double s = 1e8;
  const CollectiveTime t = collective_time(hw, Collective::AllReduce, s, {4, 1});
  // 2·3·1 µs + 1.5·1e8 B / 100e9 B/s = 6e-6 + 1.5e-3
  CHECK(t.time_s == doctest::Approx(6e-6 + 1.5e-3));
  CHECK(t.network_s == 0);
  const CollectiveTime ag = collective_time(hw, Collective::AllGather, s, {4, 1});
  CHECK(ag.time_s == doctest::Approx(3e-6 + 0.75e-3));  // 3 steps, 3/4·S
  CHECK(collective_time(hw, Collective::AllReduce, s, {1, 1}).time_s == 0);
}

TEST_CASE("hierarchical all-reduce over nodes: ring inside, the cheaper of ring and tree across") {
  const Hardware hw = node(8, 16);
  const double s = 8e8;
  const CollectiveTime t = collective_time(hw, Collective::AllReduce, s, {8, 16});
  const double link = 2 * 7 * 1e-6 + 2 * 7.0 / 8 * s / 100e9;
  const double share = s / 8;                                        // 1e8 B per GPU over its NIC
  const double ring = 2 * 15 * 5e-6 + 2 * 15.0 / 16 * share / 10e9;  // 1.5e-4 + 1.875e-2
  const double tree = 2 * 4 * 5e-6 + 2 * share / 10e9;               // 4e-5 + 2e-2
  CHECK(t.link_s == doctest::Approx(link));
  CHECK(t.network_s == doctest::Approx(std::min(ring, tree)));
  CHECK(std::string(t.algorithm) == "ring");
  // A small buffer: latency dominates and the tree wins across 16 nodes.
  const CollectiveTime small = collective_time(hw, Collective::AllReduce, 8e3, {8, 16});
  CHECK(std::string(small.algorithm) == "ring+tree");
}

namespace {

// node(gpn, nodes) with NVLink SHARP: α_nvls = 20 µs once per all-reduce, the link's 100 GB/s.
Hardware nvls_node(double gpn, double nodes = 1) {
  Hardware hw = node(gpn, nodes);
  hw.nvswitch = true;
  hw.nvls = true;
  hw.nvls_latency = 20e-6;
  return hw;
}

}  // namespace

TEST_CASE("NVLS all-reduce within a node: one latency plus (r+1)/r S over the link when faster than the ring") {
  const Hardware hw = nvls_node(8);
  const double s = 1e8;
  // r = 2: ring 2·1 µs + S/B against NVLS 20 µs + 1.5·S/B: the ring always wins.
  const CollectiveTime two = collective_time(hw, Collective::AllReduce, s, {2, 1});
  CHECK(std::string(two.algorithm) == "ring");
  CHECK(two.time_s == doctest::Approx(2e-6 + 1e-3));
  CHECK(two.bytes == doctest::Approx(s));
  // r = 4: ring 6 µs + 1.5·S/B = 1.506 ms; NVLS 20 µs + 1.25·S/B = 1.27 ms, sending 1.25·S.
  const CollectiveTime four = collective_time(hw, Collective::AllReduce, s, {4, 1});
  CHECK(std::string(four.algorithm) == "nvls");
  CHECK(four.time_s == doctest::Approx(20e-6 + 1.25e-3));
  CHECK(four.link_s == four.time_s);
  CHECK(four.bytes == doctest::Approx(1.25 * s));
  // r = 8: ring 14 µs + 1.75·S/B; NVLS 20 µs + 1.125·S/B = 1.145 ms.
  const CollectiveTime eight = collective_time(hw, Collective::AllReduce, s, {8, 1});
  CHECK(std::string(eight.algorithm) == "nvls");
  CHECK(eight.time_s == doctest::Approx(20e-6 + 1.125e-3));
  CHECK(eight.bytes == doctest::Approx(1.125 * s));
  // Without the key the same node keeps the ring, and bytes are collective_bytes'.
  const CollectiveTime ring = collective_time(node(8), Collective::AllReduce, s, {8, 1});
  CHECK(std::string(ring.algorithm) == "ring");
  CHECK(ring.time_s == doctest::Approx(14e-6 + 1.75e-3));
  CHECK(ring.bytes == doctest::Approx(collective_bytes(Collective::AllReduce, s, 8)));
  // All-gather and reduce-scatter stay ring on an NVLS profile.
  const CollectiveTime ag = collective_time(hw, Collective::AllGather, s, {8, 1});
  CHECK(std::string(ag.algorithm) == "ring");
  CHECK(ag.time_s == doctest::Approx(7e-6 + 0.875e-3));
  CHECK(ag.bytes == doctest::Approx(0.875 * s));
}

TEST_CASE("NVLS against ring: the crossover sizes at r = 4 and r = 8") {
  const Hardware hw = nvls_node(8);
  // r = 4: equal when 6 µs + 1.5·S/B = 20 µs + 1.25·S/B, S = 14 µs · 100 GB/s / 0.25 = 5.6 MB.
  CHECK(std::string(collective_time(hw, Collective::AllReduce, 5e6, {4, 1}).algorithm) == "ring");  // 81 vs 82.5 µs
  CHECK(std::string(collective_time(hw, Collective::AllReduce, 6e6, {4, 1}).algorithm) == "nvls");  // 96 vs 95 µs
  CHECK(collective_time(hw, Collective::AllReduce, 6e6, {4, 1}).time_s == doctest::Approx(20e-6 + 7.5e-5));
  // r = 8: equal when 14 µs + 1.75·S/B = 20 µs + 1.125·S/B, S = 6 µs · 100 GB/s / 0.625 = 0.96 MB.
  const CollectiveTime below = collective_time(hw, Collective::AllReduce, 9e5, {8, 1});
  CHECK(std::string(below.algorithm) == "ring");
  CHECK(below.time_s == doctest::Approx(14e-6 + 1.575e-5));  // 29.75 µs against NVLS 30.125 µs
  CHECK(below.bytes == doctest::Approx(1.75 * 9e5));
  const CollectiveTime above = collective_time(hw, Collective::AllReduce, 1e6, {8, 1});
  CHECK(std::string(above.algorithm) == "nvls");
  CHECK(above.time_s == doctest::Approx(20e-6 + 1.125e-5));  // 31.25 µs against the ring's 31.5 µs
  CHECK(above.bytes == doctest::Approx(1.125e6));
}

TEST_CASE("hierarchical all-reduce with NVLS: NVLS inside each node and the ring or tree across") {
  const Hardware hw = nvls_node(8, 16);
  const double s = 8e8;
  const CollectiveTime t = collective_time(hw, Collective::AllReduce, s, {8, 16});
  CHECK(t.link_s == doctest::Approx(20e-6 + 1.125 * s / 100e9));  // 9.02 ms, against the ring's 14.014 ms
  CHECK(t.network_s == doctest::Approx(2 * 15 * 5e-6 + 2 * 15.0 / 16 * 1e8 / 10e9));  // ring across, as before
  CHECK(std::string(t.algorithm) == "nvls+ring");
  CHECK(t.bytes == doctest::Approx(1.125 * s + 2 * 15.0 / 16 * s / 8));  // 9e8 + 1.875e8
  const CollectiveTime small = collective_time(hw, Collective::AllReduce, 8e3, {8, 16});
  CHECK(std::string(small.algorithm) == "ring+tree");  // 8 kB: the ring's 14 µs beat NVLS's 20 µs inside
  CHECK(small.bytes == doctest::Approx(collective_bytes(Collective::AllReduce, 8e3, 128)));
  const CollectiveTime mid = collective_time(hw, Collective::AllReduce, 8e6, {8, 16});
  CHECK(std::string(mid.algorithm) == "nvls+tree");  // tree 4e-5 + 2e-4 < ring 1.5e-4 + 1.875e-4 across
  // One GPU per node (a DP group of stride 8): nothing to reduce inside a node, NVLS does not apply.
  CHECK(std::string(collective_time(hw, Collective::AllReduce, s, {1, 4}).algorithm) == "ring");
}

TEST_CASE("all-to-all across nodes and send-recv") {
  const Hardware hw = node(8, 2);
  const double s = 1.6e9;
  const CollectiveTime a = collective_time(hw, Collective::AllToAll, s, {8, 2});
  // g = 16: 7/16·S over the link, 8/16·S over the network, concurrently.
  CHECK(a.link_s == doctest::Approx(1e-6 + 7.0 / 16 * s / 100e9));
  CHECK(a.network_s == doctest::Approx(5e-6 + 0.5 * s / 10e9));
  CHECK(a.time_s == doctest::Approx(a.network_s));
  CHECK(collective_time(hw, Collective::SendRecv, 1e6, {2, 1}).time_s == doctest::Approx(1e-6 + 1e-5));
  CHECK(collective_time(hw, Collective::SendRecv, 1e6, {1, 2}).time_s == doctest::Approx(5e-6 + 1e-4));
}

TEST_CASE("a profile without an interconnect cannot time a collective") {
  Hardware hw;
  hw.id = "bare";
  hw.path = "bare.toml";
  CHECK_THROWS_WITH_AS(collective_time(hw, Collective::AllReduce, 1e6, {2, 1}),
                       doctest::Contains("has no [interconnect] link_gb_s, which the all_reduce model needs"),
                       InputError);
}

namespace {

ResolvedConfig layout_config(int64_t tp, int64_t pp, int64_t ep, int64_t dp) {
  ResolvedConfig c;
  const auto set = [&c](const char* key, int64_t v) {
    Setting s;
    s.value.type = MM_VALUE_INT;
    s.value.integer = v;
    s.value.number = static_cast<double>(v);
    s.source = "--set";
    c.settings[key] = s;
  };
  set("parallel.tp", tp);
  set("parallel.pp", pp);
  set("parallel.ep", ep);
  set("parallel.dp", dp);
  return c;
}

}  // namespace

TEST_CASE("parallel layout: GPUs are tp x pp x dp and ep divides tp x dp") {
  const ParallelLayout l = parallel_layout(layout_config(2, 4, 4, 2));
  CHECK(l.gpus() == 16);
  CHECK_FALSE(l.trivial());
  CHECK(parallel_layout(ResolvedConfig{}).trivial());  // absent keys read as 1
  CHECK_THROWS_WITH_AS(parallel_layout(layout_config(4, 1, 3, 2)),
                       "workload key 'parallel.ep' = 3 must divide parallel.tp * parallel.dp = 8 (allowed: 1, 2, 4, 8)",
                       InputError);
  CHECK(divisors_text(12) == "1, 2, 3, 4, 6, 12");
}

TEST_CASE("parallel layout: more GPUs than the cluster is refused") {
  Hardware hw = node(8, 1);
  check_cluster(parallel_layout(layout_config(8, 1, 1, 1)), hw);
  CHECK_THROWS_WITH_AS(check_cluster(parallel_layout(layout_config(8, 2, 1, 1)), hw),
                       "workload keys parallel.tp * parallel.pp * parallel.dp = 16 GPUs exceed hardware 'test' "
                       "(1 node(s) x 8 GPUs = 8; allowed: at most 8 GPUs, or a profile with more interconnect.nodes)",
                       InputError);
  hw.nodes = 2;
  check_cluster(parallel_layout(layout_config(8, 2, 1, 1)), hw);
}
