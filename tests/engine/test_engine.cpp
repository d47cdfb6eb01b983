// The evaluation engine on DeepSeek-OCR, in process: the decode stage's range sums against the step-by-step
// loop, and the shortcuts sweeps take (evaluate_totals, TotalsMemo) against the full evaluation.
#include <doctest/doctest.h>

#include <cmath>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <string>
#include <vector>

namespace core = modelmeter::core;

namespace {

const std::string kConfigs = MM_TEST_CONFIGS;

std::shared_ptr<const core::Plugin> dsocr() {
  static const auto p = core::Plugin::load(MM_TEST_DSOCR);
  return p;
}

core::Hardware hw(const std::string& id) {
  return core::load_hardware(kConfigs + "/hardware/" + id + ".toml");
}

std::shared_ptr<const core::PreparedRun> std_v1(std::vector<core::Override> overrides) {
  core::ResolveInputs in;
  in.workload_file = kConfigs + "/workloads/std-v1.toml";
  in.workload_name = "std-v1";
  in.overrides = std::move(overrides);
  return core::prepare_run(dsocr(), core::resolve_config(core::catalog_for(*dsocr()), in));
}

const core::PreparedRun::Stage& decode_stage(const core::PreparedRun& p) {
  for (const auto& s : p.stages)
    if (s.stage == MM_STAGE_DECODE) return s;
  FAIL("no decode stage");
  return p.stages.front();
}

bool close(double a, double b) {
  return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
}

// A chip whose ridge point lies between the decode attention op's arithmetic intensity at the first and at the
// last step of an N-step decode, so that the op really crosses from one side of the roofline to the other.
core::Hardware crossing_chip(const core::PreparedRun& p, uint64_t steps) {
  const auto& tree = *decode_stage(p).tree;
  const core::RooflineRates unit{1, 1e300, 1};  // compute_s = TC FLOPs, memory_s = bytes
  for (const auto& node : tree.nodes) {
    if (node.category != MM_CATEGORY_ATTENTION || node.first_child != core::StageTree::kNone) continue;
    const auto at = [&](uint64_t s) {
      const core::ModuleNode n = core::evaluate_layer(node.layer, "deepseek_ocr", unit, s, 1, nullptr);
      return *n.forward[MM_METRIC_TC_FLOPS] / *n.forward[MM_METRIC_IO_BYTES];
    };
    const double i0 = at(0), i1 = at(steps - 1);
    if (i0 <= 0 || i1 <= 0 || std::abs(i0 - i1) < 1e-6 * i0) continue;
    core::Hardware h = hw("h100-sxm");
    h.eff_tensor = h.eff_cuda = h.eff_memory = 1;
    h.bandwidth = 1e12;
    h.tensor_peak[p.compute_dtype] = std::sqrt(i0 * i1) * h.bandwidth;  // ridge between the two intensities
    h.id = "crossing";
    return h;
  }
  FAIL("no decode attention op whose intensity changes with the context");
  return hw("h100-sxm");
}

core::RooflineRates rates_of(const core::Hardware& h, mm_dtype t) {
  return {h.tensor_peak_for(t) * h.eff_tensor, h.cuda_fp32_peak * h.eff_cuda, h.bandwidth * h.eff_memory};
}

}  // namespace

// Decode over N steps is one range call per op (flows affine in the context: n·f(mean context)) plus, for an op that
// crosses between memory- and compute-bound, a bisection for the crossover step and two range calls. It must equal
// the plain loop Σ_s max(compute_s, memory_s) over single steps, op by op.
TEST_CASE("decode over N steps in closed form equals the step-by-step loop, across a roofline crossover") {
  const auto p = std_v1({{"decode.max_new_tokens", "600"}, {"batch.size", "8"}});
  const core::Hardware chip = crossing_chip(*p, 599);
  const core::RunResult whole = core::evaluate_run(p, chip);
  const core::StageResult* d = whole.stage(MM_STAGE_DECODE);
  REQUIRE(d != nullptr);
  REQUIRE(d->steps == 599);
  const mm_layer* root = decode_stage(*p).tree->nodes[0].layer;
  double tc = 0, io = 0, time = 0, compute_bound = 0;
  for (uint64_t s = 0; s < d->steps; ++s) {
    const core::ModuleNode one =
        core::evaluate_layer(root, "deepseek_ocr", rates_of(chip, p->compute_dtype), s, 1, nullptr);
    tc += *one.forward[MM_METRIC_TC_FLOPS];
    io += *one.forward[MM_METRIC_IO_BYTES];
    time += one.time.time_s;
    compute_bound += one.time.compute_bound_s;
  }
  CHECK(close(*d->forward[MM_METRIC_TC_FLOPS], tc));
  CHECK(close(*d->forward[MM_METRIC_IO_BYTES], io));
  CHECK(close(d->time.time_s, time));
  CHECK(close(d->time.compute_bound_s, compute_bound));
  // A crossover inside the decode: the attention op is compute-bound for part of it only.
  CHECK(compute_bound > 0);
  CHECK(compute_bound < time);
}

// evaluate_totals with a memo shared across decode lengths and hardware (what a sweep does) gives exactly the
// figures of a full evaluation of each point, whichever order the points come in.
TEST_CASE("evaluate_totals with one TotalsMemo equals evaluate_run for every decode length and hardware") {
  const std::vector<uint64_t> lengths = {2, 700, 37, 1500, 1, 4000, 999, 3};
  for (const char* batch : {"1", "48"}) {
    const auto base = std_v1({{"batch.size", batch}});
    for (const char* gpu : {"h100-sxm", "a100-40g", "crossing"}) {
      const core::Hardware h = std::string(gpu) == "crossing" ? crossing_chip(*base, 3999) : hw(gpu);
      core::TotalsMemo memo;
      memo.horizon = 4000;
      for (uint64_t n : lengths) {
        CAPTURE(batch);
        CAPTURE(gpu);
        CAPTURE(n);
        const auto full =
            core::evaluate_run(std_v1({{"batch.size", batch}, {"decode.max_new_tokens", std::to_string(n)}}), h);
        const core::RunResult fast = core::evaluate_totals(base, h, n, &memo);
        REQUIRE(fast.stages.size() == full.stages.size());
        for (std::size_t i = 0; i < full.stages.size(); ++i) {
          CHECK(fast.stages[i].time.time_s == full.stages[i].time.time_s);
          CHECK(fast.stages[i].time.compute_bound_s == full.stages[i].time.compute_bound_s);
          CHECK(fast.stages[i].forward[MM_METRIC_TC_FLOPS] == full.stages[i].forward[MM_METRIC_TC_FLOPS]);
          CHECK(fast.stages[i].forward[MM_METRIC_IO_BYTES] == full.stages[i].forward[MM_METRIC_IO_BYTES]);
          CHECK(fast.stages[i].forward[MM_METRIC_LIVE_BYTES] == full.stages[i].forward[MM_METRIC_LIVE_BYTES]);
        }
        CHECK(fast.ttft_s() == full.ttft_s());
        CHECK(fast.tpot_s() == full.tpot_s());
        CHECK(fast.memory_total_bytes() == full.memory_total_bytes());
      }
    }
  }
}

TEST_CASE("decode over 10^6 new tokens: linear parts scale with N, the per-step mean context with N/2") {
  const auto p = std_v1({{"model.max_position_embeddings", "4000000"}, {"decode.max_new_tokens", "1000000"}});
  const core::Hardware h = hw("h100-sxm");
  const core::RunResult a = core::evaluate_totals(p, h, 500'001);
  const core::RunResult b = core::evaluate_totals(p, h, 1'000'001);
  const double tc_a = *a.stage(MM_STAGE_DECODE)->forward[MM_METRIC_TC_FLOPS];
  const double tc_b = *b.stage(MM_STAGE_DECODE)->forward[MM_METRIC_TC_FLOPS];
  // Per step: c0 + c1·(kv + s). Over n steps: n·c0' + c1·n(n−1)/2 — doubling n more than doubles the total, and
  // the second difference fixes c1: T(2n) − 2T(n) = c1·n².
  CHECK(tc_b > 2 * tc_a);
  const double c1 = (tc_b - 2 * tc_a) / (500'000.0 * 500'000.0);
  CHECK(c1 > 0);
  const core::RunResult c = core::evaluate_totals(p, h, 250'001);
  const double tc_c = *c.stage(MM_STAGE_DECODE)->forward[MM_METRIC_TC_FLOPS];
  CHECK(close((tc_a - 2 * tc_c) / (250'000.0 * 250'000.0), c1));
}
