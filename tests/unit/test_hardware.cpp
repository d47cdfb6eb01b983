// Hardware profiles and dtype sizes (core/src/hardware.cpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>

using namespace modelmeter::core;

namespace {

const std::filesystem::path kConfigs = std::filesystem::path(MM_SOURCE_DIR) / "configs" / "hardware";

std::filesystem::path write_temp(const std::string& text) {
  // One folder per process (ctest runs the cases of this file in parallel), removed when the process ends.
  struct Folder {
    std::filesystem::path path = std::filesystem::temp_directory_path() / ("mm_test_hw." + std::to_string(::getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Folder folder;
  const auto& dir = folder.path;
  const auto p = dir / "chip.toml";
  std::ofstream(p) << text;
  return p;
}

const char* kGood = R"(name = "Chip"
vendor = "V"
[tensor_core]
bf16 = 100.0
[cuda_core]
fp32 = 10.0
[memory]
bandwidth_gb_s = 1000
capacity_gib = 16
)";

}  // namespace

TEST_CASE("dtype sizes, int4 with its group-scale overhead") {
  CHECK(dtype_bytes(MM_DTYPE_FP32) == 4);
  CHECK(dtype_bytes(MM_DTYPE_BF16) == 2);
  CHECK(dtype_bytes(MM_DTYPE_FP8) == 1);
  CHECK(dtype_bytes(MM_DTYPE_INT4) == doctest::Approx(0.515625));  // 0.5 + 2/128
  CHECK(parse_dtype("int8") == MM_DTYPE_INT8);
  CHECK_FALSE(parse_dtype("fp6").has_value());
}

TEST_CASE("every bundled profile loads, in SI units") {
  for (const char* id : {"h100-sxm", "h200", "a100-80g", "a100-40g", "rtx5090", "l40s"}) {
    CAPTURE(id);
    const Hardware hw = load_hardware(kConfigs / (std::string(id) + ".toml"));
    CHECK(hw.id == id);
    CHECK(hw.tensor_peak_for(MM_DTYPE_BF16) > 1e14);
    CHECK(hw.bandwidth > 5e11);
    CHECK(hw.capacity > 30e9);
  }
  const Hardware h100 = load_hardware(kConfigs / "h100-sxm.toml");
  CHECK(h100.tensor_peak_for(MM_DTYPE_BF16) == doctest::Approx(989.4e12));
  CHECK(h100.bandwidth == doctest::Approx(3.35e12));
  CHECK(h100.capacity == doctest::Approx(80.0 * 1073741824.0));
  CHECK_THROWS_WITH_AS(load_hardware(kConfigs / "a100-80g.toml").tensor_peak_for(MM_DTYPE_FP8),
                       doctest::Contains("has no fp8 Tensor-Core peak"), InputError);
}

TEST_CASE("a minimal profile: efficiency defaults to 1.0, fp32 falls back to the CUDA-core peak") {
  const Hardware hw = load_hardware(write_temp(kGood));
  CHECK(hw.eff_tensor == 1.0);
  CHECK(hw.tensor_peak_for(MM_DTYPE_FP32) == doctest::Approx(10e12));
  CHECK(hw.capacity == doctest::Approx(16.0 * 1073741824.0));
}

TEST_CASE("bad profiles are rejected naming file and key") {
  std::string t = kGood;
  CHECK_THROWS_WITH_AS(load_hardware(write_temp("bogus = 1\n" + t)), doctest::Contains("unknown key 'bogus'"),
                       InputError);
  CHECK_THROWS_WITH_AS(
      load_hardware(write_temp(t + "bogus = 1\n")),
      doctest::Contains("chip.toml:10:1: unknown key 'memory.bogus' (allowed: bandwidth_gb_s, capacity_gib)"),
      InputError);
  std::string neg = t;
  neg.replace(neg.find("1000"), 4, "-5");
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(neg)), doctest::Contains("memory.bandwidth_gb_s' must be > 0"),
                       InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp("name = \"x\"\nvendor = \"v\"\n")),
                       doctest::Contains("missing section [tensor_core]"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp("name = \n")), doctest::Contains("chip.toml:1:"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[efficiency]\nmemory = 1.5\n")),
                       doctest::Contains("efficiency factors must be in (0, 1]"), InputError);
}

TEST_CASE("a figure that overflows its unit is refused (found by fuzz_hardware), and text in memory parses alike") {
  std::string huge = kGood;
  huge.replace(huge.find("1000"), 4, "1e300");  // GB/s -> bytes/s would be infinite
  CHECK_THROWS_WITH_AS(parse_hardware(huge, "mem/chip.toml"), doctest::Contains("mem/chip.toml:"), InputError);
  CHECK_THROWS_WITH_AS(parse_hardware(huge, "mem/chip.toml"),
                       doctest::Contains("key 'memory.bandwidth_gb_s' is too large"), InputError);
  const Hardware hw = parse_hardware(kGood, "mem/chip.toml");
  CHECK(hw.id == "chip");
  CHECK(hw.capacity == doctest::Approx(16.0 * 1073741824.0));
  CHECK_THROWS_WITH_AS(parse_hardware("name = \n", "mem/chip.toml"),
                       doctest::Contains("hardware file mem/chip.toml:1:"), InputError);
}

TEST_CASE("a price per GPU-hour is optional, needs its source and is bounded") {
  const std::string t = kGood;
  CHECK(load_hardware(write_temp(t)).price_usd_per_gpu_hour == 0);  // no [price]: none
  const Hardware priced = load_hardware(write_temp(t + "[price]\nusd_per_gpu_hour = 2.5\nsource = \"a quote\"\n"));
  CHECK(priced.price_usd_per_gpu_hour == 2.5);
  CHECK(priced.price_source == "a quote");
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[price]\nusd_per_gpu_hour = 2.5\n")),
                       doctest::Contains("key 'price.usd_per_gpu_hour' needs 'price.source'"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[price]\nusd_per_gpu_hour = -1\nsource = \"x\"\n")),
                       doctest::Contains("key 'price.usd_per_gpu_hour' must be > 0, got -1"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[price]\nusd_per_gpu_hour = 20000\nsource = \"x\"\n")),
                       doctest::Contains("must be at most 10000"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[price]\nusd = 1\n")),
                       doctest::Contains("unknown key 'price.usd' (allowed: source, usd_per_gpu_hour)"), InputError);
  // The bundled prices: AWS Capacity Blocks' effective accelerator hourly rates (the profiles cite them).
  CHECK(load_hardware(kConfigs / "h100-sxm.toml").price_usd_per_gpu_hour == 4.916);
  CHECK(load_hardware(kConfigs / "a100-40g.toml").price_usd_per_gpu_hour == 1.844);
  CHECK(load_hardware(kConfigs / "l40s.toml").price_usd_per_gpu_hour == 0);
}

TEST_CASE("interconnect: bundled profiles carry links, latencies, switches and the cluster size") {
  const Hardware h100 = load_hardware(kConfigs / "h100-sxm.toml");
  CHECK(h100.gpus_per_node == 8);
  CHECK(h100.link_bandwidth == doctest::Approx(450e9));
  CHECK(h100.link_latency == doctest::Approx(0.6e-6));
  CHECK(h100.nvswitch);
  CHECK(h100.network_bandwidth == doctest::Approx(50e9));
  CHECK(h100.network_latency == doctest::Approx(2.7e-6));
  CHECK(h100.nodes == 1);
  CHECK(h100.cluster_gpus() == 8);
  CHECK(h100.nvls);
  CHECK(h100.nvls_latency == doctest::Approx(23e-6));
  const Hardware h200 = load_hardware(kConfigs / "h200.toml");
  CHECK(h200.nvls);
  CHECK(h200.nvls_latency == doctest::Approx(23e-6));
  const Hardware a100 = load_hardware(kConfigs / "a100-80g.toml");
  CHECK(a100.link_bandwidth == doctest::Approx(300e9));
  CHECK(a100.nvswitch);
  CHECK_FALSE(a100.nvls);  // second-generation NVSwitch: no in-switch reduction
  const Hardware l40s = load_hardware(kConfigs / "l40s.toml");
  CHECK_FALSE(l40s.nvswitch);
  CHECK(l40s.link_bandwidth == doctest::Approx(32e9));
  CHECK(l40s.cluster_gpus() == 8);
  const Hardware rtx = load_hardware(kConfigs / "rtx5090.toml");
  CHECK_FALSE(rtx.nvswitch);
  CHECK(rtx.link_bandwidth == doctest::Approx(64e9));
  CHECK(rtx.cluster_gpus() == 1);
  const Hardware minimal = load_hardware(write_temp(kGood));
  CHECK(minimal.cluster_gpus() == 1);
}

TEST_CASE("interconnect: a cluster profile and its bad keys") {
  const std::string t = kGood;
  const Hardware cluster = load_hardware(
      write_temp(t + "[interconnect]\ngpus_per_node = 8\nnodes = 16\nlink_gb_s = 450\nnetwork_gb_s = 50\n"));
  CHECK(cluster.cluster_gpus() == 128);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnodes = 2.5\nnetwork_gb_s = 50\n")),
                       doctest::Contains("key 'interconnect.nodes' must be a whole number from 1 to 65536"),
                       InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnodes = 2\n")),
                       doctest::Contains("'interconnect.nodes' > 1 needs 'interconnect.network_gb_s'"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnvswitch = 1\n")),
                       doctest::Contains("key 'interconnect.nvswitch' must be true or false"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nlink_latency_us = -1\n")),
                       doctest::Contains("key 'interconnect.link_latency_us' must be > 0"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnvswitch = true\nnvls = \"yes\"\n")),
                       doctest::Contains("key 'interconnect.nvls' must be true or false"), InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnvls = true\n")),
                       doctest::Contains("key 'interconnect.nvls' = true needs 'interconnect.nvswitch' = true"),
                       InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnvswitch = false\nnvls = true\n")),
                       doctest::Contains("key 'interconnect.nvls' = true needs 'interconnect.nvswitch' = true"),
                       InputError);
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nnvswitch = true\nnvls_latency_us = 23\n")),
                       doctest::Contains("key 'interconnect.nvls_latency_us' needs 'interconnect.nvls' = true"),
                       InputError);
  CHECK_THROWS_WITH_AS(
      load_hardware(write_temp(t + "[interconnect]\nnvswitch = true\nnvls = true\nnvls_latency_us = 0\n")),
      doctest::Contains("key 'interconnect.nvls_latency_us' must be > 0"), InputError);
  const Hardware nvls = load_hardware(write_temp(t + "[interconnect]\nnvswitch = true\nnvls = true\n"));
  CHECK(nvls.nvls);
  CHECK(nvls.nvls_latency == 0);  // not given: bandwidth only
  CHECK_THROWS_WITH_AS(load_hardware(write_temp(t + "[interconnect]\nlinks = 1\n")),
                       doctest::Contains("unknown key 'interconnect.links' (allowed: gpus_per_node, link,"),
                       InputError);
}
