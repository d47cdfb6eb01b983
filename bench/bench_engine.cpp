// The engine's speed on DeepSeek-OCR std-v1 (docs/performance.md has the figures and the targets):
//   run_model        the whole in-process run: resolve the workload TOML, plan, build, evaluate everything
//   prepare_run      plan + build the three stage trees + the one-step stages' own metrics
//   evaluate_run     every stage, every metric, every module, breakdowns and per-step figures, on built trees
//   evaluate_totals  the stage totals a sweep row needs
//   decode_1M        the decode stage over 10^6 new tokens (closed-form range sums + bisected crossover)
//   sweep_100k       a 10^5-point sweep (decode tokens × batch × hardware) through run_sweep, as the CLI runs it
//   simulate_10k     the serving simulator: 10,000 requests at concurrency 100 (serve-ocr on a100-40g, calibrated),
//                    cost model derived once outside the loop; serving_cost_model: that derivation
#include <benchmark/benchmark.h>

#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/serving.hpp>
#include <modelmeter/core/sweep.hpp>
#include <string>

namespace core = modelmeter::core;

namespace {

const std::string kConfigs = MM_BENCH_CONFIGS;

std::shared_ptr<const core::Plugin> plugin() {
  static const auto p = core::Plugin::load(MM_BENCH_PLUGIN);
  return p;
}

core::Hardware hardware(const std::string& id) {
  return core::load_hardware(kConfigs + "/hardware/" + id + ".toml");
}

core::RunRequest std_v1(std::vector<core::Override> overrides = {}) {
  core::RunRequest req;
  req.plugin = plugin();
  req.inputs.workload_file = kConfigs + "/workloads/std-v1.toml";
  req.inputs.workload_name = "std-v1";
  req.inputs.overrides = std::move(overrides);
  req.hardware = hardware("h100-sxm");
  return req;
}

std::shared_ptr<const core::PreparedRun> prepared(const core::RunRequest& req) {
  return core::prepare_run(req.plugin, core::resolve_config(core::catalog_for(*req.plugin), req.inputs));
}

void run_model(benchmark::State& state) {
  const auto req = std_v1();
  for (auto _ : state) benchmark::DoNotOptimize(core::run_model(req));
}
BENCHMARK(run_model)->Unit(benchmark::kMicrosecond);

void prepare_run(benchmark::State& state) {
  const auto req = std_v1();
  const auto cfg = core::resolve_config(core::catalog_for(*req.plugin), req.inputs);
  for (auto _ : state) benchmark::DoNotOptimize(core::prepare_run(req.plugin, cfg));
}
BENCHMARK(prepare_run)->Unit(benchmark::kMicrosecond);

void evaluate_run(benchmark::State& state) {
  const auto req = std_v1();
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_run(p, req.hardware));
}
BENCHMARK(evaluate_run)->Unit(benchmark::kMicrosecond);

// The same with h100-sxm's bundled calibration (docs/calibration.md): the target is <= 1.2x evaluate_run.
void evaluate_run_calibrated(benchmark::State& state) {
  auto req = std_v1();
  req.hardware.calibration =
      std::make_shared<const core::Calibration>(core::load_calibration(kConfigs + "/calibrations/h100-sxm.toml"));
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_run(p, req.hardware));
}
BENCHMARK(evaluate_run_calibrated)->Unit(benchmark::kMicrosecond);

// Sharding must not cost speed (docs/parallelism.md): std-v1 at parallel.tp = Arg (target: TP=2 within 1.2x of
// TP=1), and Llama-2-7B llm-1024 (hf_decoder) at TP = Arg (target: TP=8 within 1.2x of TP=1), calibrated h100-sxm.
void evaluate_run_tp_std_v1(benchmark::State& state) {
  auto req = std_v1({core::Override{"parallel.tp", std::to_string(state.range(0))}});
  req.hardware.calibration =
      std::make_shared<const core::Calibration>(core::load_calibration(kConfigs + "/calibrations/h100-sxm.toml"));
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_run(p, req.hardware));
}
BENCHMARK(evaluate_run_tp_std_v1)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

// DeepSeek-OCR std-v1 under expert and pipeline parallelism (target: within 1.2x of Arg 0, every parallel.* = 1):
// Arg 1 = ep 2 over dp 2 (two all-to-alls per MoE layer), Arg 2 = pp 2 (the last stage), calibrated h100-sxm.
void evaluate_run_ep_pp_std_v1(benchmark::State& state) {
  std::vector<core::Override> layout;
  if (state.range(0) == 1) layout = {core::Override{"parallel.dp", "2"}, core::Override{"parallel.ep", "2"}};
  if (state.range(0) == 2) layout = {core::Override{"parallel.pp", "2"}};
  auto req = std_v1(layout);
  req.hardware.calibration =
      std::make_shared<const core::Calibration>(core::load_calibration(kConfigs + "/calibrations/h100-sxm.toml"));
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_run(p, req.hardware));
}
BENCHMARK(evaluate_run_ep_pp_std_v1)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

void evaluate_run_tp_llama(benchmark::State& state) {
  static const auto hf = core::Plugin::load(MM_BENCH_HF_PLUGIN);
  core::RunRequest req;
  req.plugin = hf;
  req.inputs.workload_file = kConfigs + "/workloads/llm-1024.toml";
  req.inputs.workload_name = "llm-1024";
  req.inputs.models_dir = kConfigs + "/models";
  req.inputs.overrides = {core::Override{"parallel.tp", std::to_string(state.range(0))}};
  req.hardware = hardware("h100-sxm");
  req.hardware.calibration =
      std::make_shared<const core::Calibration>(core::load_calibration(kConfigs + "/calibrations/h100-sxm.toml"));
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_run(p, req.hardware));
}
BENCHMARK(evaluate_run_tp_llama)->Arg(1)->Arg(8)->Unit(benchmark::kMicrosecond);

// validate's work per row: one kernel time on 100k matmul shapes (target: 100k rows well under a second).
void kernel_time_100k(benchmark::State& state) {
  const auto hw = hardware("h100-sxm");
  const auto cal = core::load_calibration(kConfigs + "/calibrations/h100-sxm.toml");
  for (auto _ : state) {
    double sum = 0;
    for (int i = 0; i < 100000; ++i) {
      core::KernelShape s;
      s.kind = core::KernelKind::Matmul;
      s.m = 1 + i % 4096;
      s.n = 4096;
      s.k = 4096;
      sum += core::kernel_time(hw, cal, s).time_s;
    }
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(kernel_time_100k)->Unit(benchmark::kMillisecond);

void evaluate_totals(benchmark::State& state) {
  const auto req = std_v1();
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_totals(p, req.hardware, 512));
}
BENCHMARK(evaluate_totals)->Unit(benchmark::kMicrosecond);

// Decode over 10^6 new tokens (the model's positions raised for the what-if). The counter us_per_1k_tokens is the
// figure the target (<= 1 µs per 1000 tokens) is about.
void decode_1M(benchmark::State& state) {
  const auto req = std_v1({{"model.max_position_embeddings", "2000000"}, {"decode.max_new_tokens", "1000000"}});
  const auto p = prepared(req);
  for (auto _ : state) benchmark::DoNotOptimize(core::evaluate_totals(p, req.hardware, 1'000'000));
  state.counters["us_per_1k_tokens"] =
      benchmark::Counter(1e6 / 1000.0, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}
BENCHMARK(decode_1M)->Unit(benchmark::kMicrosecond);

// 200 decode lengths × 100 batch sizes × 5 GPUs = 10^5 points; the argument is the thread count.
void sweep_100k(benchmark::State& state) {
  core::SweepRequest req;
  req.plugin = plugin();
  req.inputs = std_v1().inputs;
  req.vary.push_back(core::parse_vary("decode.max_new_tokens=10:2000:10"));
  req.vary.push_back(core::parse_vary("batch.size=1:100:1"));
  for (const char* hw : {"h100-sxm", "h200", "a100-80g", "l40s", "rtx5090"}) req.hardware.push_back(hardware(hw));
  req.threads = static_cast<unsigned>(state.range(0));
  std::size_t points = 0;
  for (auto _ : state) {
    const auto rows = core::run_sweep(req);
    points += rows.size();
    benchmark::DoNotOptimize(rows.data());
  }
  state.counters["points_per_s"] = benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}
BENCHMARK(sweep_100k)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

}  // namespace

struct ServeOcr {
  core::Hardware hw;
  core::ResolvedConfig config;
  core::serving::Settings settings;
};
ServeOcr serve_ocr() {
  ServeOcr s;
  s.hw = hardware("a100-40g");
  s.hw.calibration =
      std::make_shared<const core::Calibration>(core::load_calibration(kConfigs + "/calibrations/a100-40g.toml"));
  core::ResolveInputs in;
  in.workload_file = kConfigs + "/workloads/serve-ocr.toml";
  in.workload_name = "serve-ocr";
  in.overrides = {core::parse_override("serving.num_requests=10000")};
  s.config = core::resolve_config(core::serving::catalog(*plugin()), in);
  s.settings = core::serving::read_settings(s.config);
  return s;
}

void serving_cost_model(benchmark::State& state) {
  const ServeOcr s = serve_ocr();
  for (auto _ : state) {
    benchmark::DoNotOptimize(core::serving::derive_cost_model(plugin(), s.config, s.hw, s.settings));
  }
}
BENCHMARK(serving_cost_model)->Unit(benchmark::kMillisecond);

void simulate_10k(benchmark::State& state) {
  const ServeOcr s = serve_ocr();
  const auto model = core::serving::derive_cost_model(plugin(), s.config, s.hw, s.settings);
  const auto requests = core::serving::make_requests(s.settings, model);
  for (auto _ : state) benchmark::DoNotOptimize(core::serving::simulate(model, s.settings, requests));
}
BENCHMARK(simulate_10k)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
