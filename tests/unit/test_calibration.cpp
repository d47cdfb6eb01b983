// The calibrated kernel time model, its fitting, measurement files and calibration files
// (core/src/calibration/, docs/calibration.md).
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <string>

#include "op_test_support.hpp"

using namespace modelmeter::core;

namespace {

const std::filesystem::path kConfigs = std::filesystem::path(MM_SOURCE_DIR) / "configs";

Hardware h100() {
  return load_hardware(kConfigs / "hardware" / "h100-sxm.toml");
}

// A calibration with round, known parameters (what the synthetic measurements are generated from).
Calibration known() {
  Calibration c;
  c.name = c.hardware = "h100-sxm";
  c.matmul = MatmulParams{0.75, 0.85, 6.0, 3.0, 1.5};
  for (MemoryParams& m : c.memory) m = MemoryParams{2.5, 0.7, 0.4};
  c.memory[static_cast<std::size_t>(KernelKind::Add)] = MemoryParams{1.5, 0.8, 0.9};
  c.all_reduce = AllReduceParams{9, 1.2, 0.6, 25, 0.4};
  return c;
}

std::string csv_row(const char* op, double m, double n, double k, double us) {
  char b[160];
  std::snprintf(b, sizeof b, "h100-sxm,fp16,%s,%.0f,%.0f,%s,,,,%.6g,synthetic\n", op, m, n,
                k > 0 ? std::to_string(static_cast<long long>(k)).c_str() : "", us);
  return b;
}

const char* kHeader = "hardware,dtype,op,m,n,k,gpus,nodes,bytes,measured_us,source\n";

std::string refusal(const std::string& text) {
  MeasurementSet set;
  try {
    parse_measurements(text, "bad.csv", set);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST_CASE("calibration: canonical kernel bytes equal core's ops' I/O bytes") {
  const mmtest::Context ctx(2);
  KernelShape s;
  s.m = 96;
  s.n = 4096;
  {
    auto sp = mmtest::spec(MM_OP_RMSNORM, 96);
    sp.features = 4096;
    const mmtest::Op op(ctx, sp);
    s.kind = KernelKind::RmsNorm;
    CHECK(kernel_bytes(s) == op.forward().io_bytes);
    CHECK(kernel_bytes(s) == 2 * 2 * 96 * 4096 + 2 * 4096);  // read x and γ, write y
  }
  {
    auto sp = mmtest::spec(MM_OP_ADD, 96);
    sp.features = 4096;
    const mmtest::Op op(ctx, sp);
    s.kind = KernelKind::Add;
    CHECK(kernel_bytes(s) == op.forward().io_bytes);
  }
  {
    auto sp = mmtest::spec(MM_OP_GELU, 96);
    sp.features = 4096;
    const mmtest::Op op(ctx, sp);
    s.kind = KernelKind::Gelu;
    CHECK(kernel_bytes(s) == op.forward().io_bytes);
  }
  {
    auto sp = mmtest::spec(MM_OP_EMBEDDING, 96);
    sp.features = 4096;
    sp.vocab = 32000;
    const mmtest::Op op(ctx, sp);
    s.kind = KernelKind::Embedding;
    CHECK(kernel_bytes(s) == op.forward().io_bytes);
  }
  s.kind = KernelKind::Matmul;
  s.k = 1024;
  CHECK(kernel_bytes(s) == 2.0 * (96 * 1024 + 1024 * 4096 + 96 * 4096));
}

TEST_CASE("calibration: matmul time follows waves of tiles over the SMs") {
  const Hardware hw = h100();
  const Calibration c = known();
  KernelShape s;
  s.kind = KernelKind::Matmul;
  s.k = 8192;
  s.n = 128 * 132;  // one wave of 128×128 tiles for m ≤ 128, or of 128×256 pairs for m ≤ 128…
  s.m = 4096;
  // Large GEMMs approach 2mnk / (peak·η) (tiles fill every wave but the last).
  const double ideal = 2 * s.m * s.n * s.k / (989.4e12 * 0.75);
  const double t_big = kernel_time(hw, c, s).time_s;
  CHECK(t_big > ideal);
  CHECK(t_big < ideal * 1.10);
  CHECK(kernel_time(hw, c, s).compute_s == t_big);  // compute-bound
  // Monotone in m, and a step when the tiles spill into one more wave.
  double previous = 0;
  for (double m = 64; m <= 2048; m += 64) {
    s.m = m;
    const double t = kernel_time(hw, c, s).time_s;
    CHECK(t >= previous);
    previous = t;
  }
  // A GEMV (m = 1) streams the weights: bytes / (bandwidth·η_m) plus the launch latency, within the blend.
  s.m = 1;
  s.n = 4096;
  s.k = 4096;
  const double stream = kernel_bytes(s) / (3350e9 * 0.85);
  const double t1 = kernel_time(hw, c, s).time_s;
  CHECK(t1 >= stream + 6e-6);
  CHECK(t1 < (stream + 6e-6) * 1.3);
  CHECK(kernel_time(hw, c, s).compute_s == 0);
}

TEST_CASE("calibration: memory-bound kernels: latency + bytes at the fitted bandwidth, faster when small next to L2") {
  const Hardware hw = h100();
  const Calibration c = known();
  KernelShape s;
  s.kind = KernelKind::Add;
  s.m = 1 << 20;
  s.n = 1024;  // 6 GiB moved: the cache term is negligible
  const double bytes = 3.0 * 2 * s.m * s.n;
  const double l2 = 50.0 * 1024 * 1024;
  const double expect = 1.5e-6 + bytes / (3350e9 * 0.8) * (1 - 0.9 * l2 / (l2 + bytes));
  CHECK(kernel_time(hw, c, s).time_s == doctest::Approx(expect).epsilon(1e-4));
  s.m = 16;  // 196 KB: nearly 90% of the memory time saved by L2
  const double small = 3.0 * 2 * 16 * 1024;
  CHECK(kernel_time(hw, c, s).time_s ==
        doctest::Approx(1.5e-6 + small / (3350e9 * 0.8) * (1 - 0.9 * l2 / (l2 + small))));
  CHECK(kernel_time(hw, c, s).time_s < 1.5e-6 + 0.11 * small / (3350e9 * 0.8));
}

TEST_CASE(
    "calibration: ring all-reduce moves 2(g-1)/g of the buffer per GPU and across nodes the network carries its "
    "share") {
  const Hardware hw = h100();
  Calibration c = known();
  c.all_reduce = AllReduceParams{0, 0, 1, 0, 1};  // no latency, full bandwidth: the α–β model's β part only
  KernelShape s;
  s.kind = KernelKind::AllReduce;
  s.bytes = 64.0 * 1024 * 1024;
  s.gpus = 4;
  s.nodes = 1;
  CHECK(kernel_time(hw, c, s).time_s == doctest::Approx(2.0 * 3 / 4 * s.bytes / 450e9));
  s.gpus = 16;
  s.nodes = 2;  // 8 per node: ring within the node, then over 2 nodes on 1/8 of the buffer
  CHECK(kernel_time(hw, c, s).time_s ==
        doctest::Approx(2.0 * 7 / 8 * s.bytes / 450e9 + 2.0 * 1 / 2 * (s.bytes / 8) / 50e9));
}

TEST_CASE("calibration: fitting recovers known parameters from measurements the model itself generated") {
  const Hardware hw = h100();
  const Calibration truth = known();
  std::string text = kHeader;
  for (double m : {1.0, 8.0, 32.0, 96.0, 256.0, 640.0, 1024.0, 2048.0, 4096.0}) {
    for (auto [n, k] : {std::pair{4096.0, 4096.0}, {12288.0, 4096.0}, {1024.0, 4096.0}, {4096.0, 11008.0}}) {
      KernelShape s;
      s.kind = KernelKind::Matmul;
      s.m = m;
      s.n = n;
      s.k = k;
      text += csv_row("matmul", m, n, k, kernel_time(hw, truth, s).time_s * 1e6);
    }
    for (double n : {1024.0, 4096.0, 16384.0}) {
      KernelShape s;
      s.kind = KernelKind::Add;
      s.m = m;
      s.n = n;
      text += csv_row("add", m, n, 0, kernel_time(hw, truth, s).time_s * 1e6);
    }
  }
  MeasurementSet set;
  parse_measurements(text, "synthetic.csv", set);
  REQUIRE(set.rows.size() == 9 * 4 + 9 * 3);
  const Calibration fit = fit_calibration(hw, set);
  const auto add = static_cast<std::size_t>(KernelKind::Add);
  CHECK(fit.fit[static_cast<std::size_t>(KernelKind::Matmul)].stats.mape < 0.005);
  CHECK(fit.fit[add].stats.mape < 0.002);
  CHECK(fit.matmul.eta_compute == doctest::Approx(0.75).epsilon(0.02));
  CHECK(fit.matmul.eta_memory == doctest::Approx(0.85).epsilon(0.03));
  CHECK(fit.matmul.latency_us == doctest::Approx(6.0).epsilon(0.1));
  CHECK(fit.memory[add].latency_us == doctest::Approx(1.5).epsilon(0.02));
  CHECK(fit.memory[add].eta == doctest::Approx(0.8).epsilon(0.02));
  CHECK(fit.memory[add].cache_gain == doctest::Approx(0.9).epsilon(0.05));
  // Kinds without rows borrow and say so.
  CHECK(fit.fit[static_cast<std::size_t>(KernelKind::RmsNorm)].source == "borrowed from add (no rmsnorm rows)");
  // Deterministic: the same rows give the same file, byte for byte.
  CHECK(calibration_toml(fit) == calibration_toml(fit_calibration(hw, set)));
}

TEST_CASE("calibration: a calibration file round-trips through its TOML exactly") {
  Calibration c = known();
  c.note = "a \"quoted\" note";
  c.measured = {"a.csv", "b.csv"};
  c.fit[0] = KindFit{"fitted", FitStats{12, 0.05, 0.04, 0.09}};
  for (std::size_t k = 1; k < kKernelKinds; ++k) c.fit[k].source = "fitted";
  c.overall = FitStats{12, 0.05, 0.04, 0.09};
  const std::string text = calibration_toml(c);
  const Calibration back = parse_calibration(text, "/tmp/x/h100-sxm.toml");
  CHECK(back.name == "h100-sxm");
  CHECK(back.hardware == "h100-sxm");
  CHECK(back.note == c.note);
  CHECK(back.measured == c.measured);
  CHECK(back.matmul.eta_compute == 0.75);
  CHECK(back.matmul.wave_overhead_us == 1.5);
  CHECK(back.memory[static_cast<std::size_t>(KernelKind::Add)].cache_gain == 0.9);
  CHECK(back.all_reduce.network_efficiency == 0.4);
  CHECK(back.fit[0].stats.rows == 12);
  CHECK(calibration_toml(back) == text);
  // Out of range and unknown keys are refused with the key named.
  std::string bad = text;
  bad.replace(bad.find("eta_compute = 0.75"), 18, "eta_compute = 1.5");
  CHECK_THROWS_WITH_AS(parse_calibration(bad, "c.toml"),
                       doctest::Contains("key 'matmul.eta_compute' must be in [0.001, 1.0], got 1.5"), InputError);
  CHECK_THROWS_WITH_AS(parse_calibration(text + "\n[bogus]\n", "c.toml"), doctest::Contains("unknown key 'bogus'"),
                       InputError);
}

TEST_CASE("calibration: bad measurement files are one-line errors naming file, line and column") {
  CHECK(refusal("hardware,dtype,op,m,n,k,gpus,nodes,measured_us\n") ==
        "bad.csv:1: missing column 'bytes' (the header needs hardware,dtype,op,m,n,k,gpus,nodes,bytes,measured_us; "
        "see docs/calibration.md)");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,fp16,conv,1,2,3,,,,5,x\n") ==
        "bad.csv:2: column 'op': unknown op 'conv' (allowed: matmul, rmsnorm, silu_mul, gelu, rotary, add, embedding, "
        "all_reduce)");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,fp16,matmul,1,2,3,,,,-5,x\n") ==
        "bad.csv:2: column 'measured_us': '-5' must be > 0");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,fp16,add,1,2,,,,,nan,x\n") ==
        "bad.csv:2: column 'measured_us': 'nan' is not finite");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,fp16,matmul,1,2,,,,,5,x\n") ==
        "bad.csv:2: column 'k': empty; a number > 0 is required for matmul");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,fp16,all_reduce,,,,2,3,1024,5,x\n") ==
        "bad.csv:2: column 'nodes': '3' exceeds gpus (2)");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,int3,add,1,2,,,,,5,x\n") ==
        "bad.csv:2: column 'dtype': 'int3' is not one of fp16, bf16, fp32, fp8");
  CHECK(refusal(std::string(kHeader) + "h100-sxm,fp16,add,1,2\n") == "bad.csv:2: 5 fields, the header has 11");
  CHECK(refusal("") == "bad.csv: empty file (no header row)");
}

TEST_CASE("calibration: the bundled calibrations reproduce their stated in-sample error on the shipped data") {
  MeasurementSet set;
  read_measurements(kConfigs / "calibrations" / "data" / "measured-llama2-7b.csv", set);
  CHECK(set.rows.size() == 26684);
  for (const char* name : {"h100-sxm", "a100-80g"}) {
    CAPTURE(name);
    const Hardware hw = load_hardware(kConfigs / "hardware" / (std::string(name) + ".toml"));
    const Calibration c = load_calibration(kConfigs / "calibrations" / (std::string(name) + ".toml"));
    std::vector<std::pair<double, double>> pm;
    for (const Measurement& m : set.rows) {
      if (m.hardware == name) pm.emplace_back(kernel_time(hw, c, measurement_kernel(m)).time_s, m.measured_us * 1e-6);
    }
    const FitStats s = error_stats(pm);
    CHECK(s.rows == c.overall.rows);
    CHECK(s.mape == doctest::Approx(c.overall.mape).epsilon(1e-5));
    CHECK(s.p90 == doctest::Approx(c.overall.p90).epsilon(1e-5));
    // And refitting the shipped data gives the shipped file, byte for byte, apart from its path.
    Calibration again = fit_calibration(hw, set);
    CHECK(calibration_toml(again) == calibration_toml(c));
  }
}
