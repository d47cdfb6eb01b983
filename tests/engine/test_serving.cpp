// The serving simulator (docs/serving.md): closed-form results on a trivial cost model, KV block arithmetic,
// preemption, and one request alone against `run` on DeepSeek-OCR.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/serving.hpp>
#include <string>
#include <vector>

namespace core = modelmeter::core;
namespace sv = modelmeter::core::serving;

namespace {

const std::string kConfigs = MM_TEST_CONFIGS;

std::shared_ptr<const core::Plugin> dsocr() {
  static const auto p = core::Plugin::load(MM_TEST_DSOCR);
  return p;
}

// Every iteration takes tau seconds whatever its batch; requests of `prompt` tokens and `output` tokens.
sv::CostModel trivial(double tau, uint64_t prompt, uint64_t output, uint64_t blocks) {
  sv::CostModel m;
  m.body.x = {1};
  m.body.y = {tau};
  m.kv_blocks = blocks;
  m.prompt_tokens = prompt;
  m.output_tokens = output;
  m.time_model = "roofline";
  return m;
}

sv::Settings closed_loop(uint64_t concurrency, uint64_t requests) {
  sv::Settings s;
  s.concurrency = concurrency;
  s.num_requests = requests;
  s.max_num_seqs = 256;
  s.max_num_batched_tokens = 8192;
  s.warmup_fraction = s.cooldown_fraction = 0;
  return s;
}

}  // namespace

TEST_CASE("closed loop at concurrency C with fixed service time S gives C/S requests/s") {
  const double tau = 0.01;
  const uint64_t out = 8, c = 10;
  const auto m = trivial(tau, 1, out, 1000000);
  for (double warm : {0.0, 0.1}) {
    auto s = closed_loop(c, 1000);
    s.warmup_fraction = s.cooldown_fraction = warm;
    const auto r = sv::simulate(m, s, sv::make_requests(s, m));
    const double service = static_cast<double>(out) * tau;  // one prefill iteration + out - 1 decode iterations
    CHECK(r.requests_per_s == doctest::Approx(static_cast<double>(c) / service).epsilon(1e-12));
    CHECK(r.output_tokens_per_s == doctest::Approx(static_cast<double>(c * out) / service).epsilon(1e-12));
    CHECK(r.ttft_s.p99 == doctest::Approx(tau).epsilon(1e-12));
    CHECK(r.tpot_s.mean == doctest::Approx(tau).epsilon(1e-12));
    CHECK(r.itl_s.p50 == doctest::Approx(tau).epsilon(1e-12));
    CHECK(r.e2e_s.mean == doctest::Approx(service).epsilon(1e-12));
    CHECK(r.max_batch == c);
    CHECK(r.preemptions == 0);
    // Little's law: requests in the system = throughput x time in the system.
    CHECK(r.mean_in_system == doctest::Approx(static_cast<double>(c)).epsilon(1e-9));
    CHECK(r.mean_in_system == doctest::Approx(r.requests_per_s * r.e2e_s.mean).epsilon(1e-9));
  }
}

TEST_CASE("max_num_seqs below the concurrency: the server runs full and the rest queue (Little's law)") {
  const double tau = 0.002;
  const uint64_t out = 8, c = 10, seqs = 4;
  const auto m = trivial(tau, 1, out, 1000000);
  auto s = closed_loop(c, 4000);
  s.max_num_seqs = seqs;
  s.max_num_batched_tokens = 4;
  s.warmup_fraction = s.cooldown_fraction = 0.1;
  const auto r = sv::simulate(m, s, sv::make_requests(s, m));
  const double service = static_cast<double>(out) * tau;
  CHECK(r.max_batch == seqs);
  CHECK(r.requests_per_s == doctest::Approx(static_cast<double>(seqs) / service).epsilon(0.01));
  // L = C in a closed loop; W then follows from L = lambda W.
  CHECK(r.mean_in_system == doctest::Approx(static_cast<double>(c)).epsilon(1e-9));
  CHECK(r.requests_per_s * r.e2e_s.mean == doctest::Approx(static_cast<double>(c)).epsilon(0.01));
  CHECK(r.e2e_s.mean > service * 2);  // queueing is counted from arrival
}

TEST_CASE("open loop: Little's law and determinism for a seed") {
  const double tau = 0.001;
  auto m = trivial(tau, 1, 20, 1000000);
  sv::Settings s = closed_loop(1, 20000);
  s.arrival = "poisson";
  s.rate = 200;  // 200 x 20 tokens x 1 ms: the server is busy ~ part of the time with batches
  s.warmup_fraction = s.cooldown_fraction = 0.05;
  const auto reqs = sv::make_requests(s, m);
  const auto a = sv::simulate(m, s, reqs);
  CHECK(a.requests_per_s == doctest::Approx(s.rate).epsilon(0.03));
  CHECK(a.mean_in_system == doctest::Approx(a.requests_per_s * a.e2e_s.mean).epsilon(0.03));
  const auto b = sv::simulate(m, s, sv::make_requests(s, m));
  CHECK(a.e2e_s.p99 == b.e2e_s.p99);
  CHECK(a.requests_per_s == b.requests_per_s);
  s.seed = 7;
  const auto c = sv::simulate(m, s, sv::make_requests(s, m));
  CHECK(c.e2e_s.p99 != a.e2e_s.p99);
}

TEST_CASE("KV capacity limits concurrency exactly as the block arithmetic says") {
  // 17-token prompts and 16 output tokens: at most 17 + 16 - 1 = 32 tokens = 2 blocks of 16, already at admission.
  for (uint64_t blocks : {10, 11, 17, 40}) {
    const auto m = trivial(0.01, 17, 16, blocks);
    auto s = closed_loop(50, 500);
    const auto r = sv::simulate(m, s, sv::make_requests(s, m));
    CAPTURE(blocks);
    CHECK(r.max_batch == std::min<uint64_t>(50, blocks / 2));
    CHECK(r.max_kv_blocks == 2 * (blocks / 2));
    CHECK(r.preemptions == 0);
  }
}

TEST_CASE("preemption happens when and only when blocks run out") {
  // 16-token prompts (1 block) growing to 16 + 17 - 1 = 32 tokens (2 blocks): 10 sequences need 20 blocks at the end.
  for (uint64_t blocks = 10; blocks <= 24; ++blocks) {
    const auto m = trivial(0.01, 16, 17, blocks);
    auto s = closed_loop(10, 200);
    const auto r = sv::simulate(m, s, sv::make_requests(s, m));
    CAPTURE(blocks);
    CHECK(r.requests_per_s > 0);
    CHECK(r.max_kv_blocks <= blocks);
    if (blocks >= 20) {
      CHECK(r.preemptions == 0);
    } else {
      CHECK(r.preemptions > 0);
    }
  }
}

TEST_CASE("one request alone with host costs 0 reproduces run's TTFT and decode time") {
  for (const char* hw_id : {"a100-40g", "h100-sxm"}) {
    CAPTURE(hw_id);
    core::Hardware hw = core::load_hardware(kConfigs + "/hardware/" + hw_id + ".toml");
    if (std::string(hw_id) == "a100-40g") {
      hw.calibration =
          std::make_shared<const core::Calibration>(core::load_calibration(kConfigs + "/calibrations/a100-40g.toml"));
    }
    core::ResolveInputs in;
    in.workload_file = kConfigs + "/workloads/std-v1.toml";
    in.workload_name = "std-v1";
    const auto config = core::resolve_config(sv::catalog(*dsocr()), in);
    sv::Settings s = sv::read_settings(config);
    s.concurrency = 1;
    s.num_requests = 1;
    s.warmup_fraction = s.cooldown_fraction = 0;
    s.host_iteration_s = s.host_sample_s = s.host_page_s = 0;
    core::RunResult run;
    const auto m = sv::derive_cost_model(dsocr(), config, hw, s, &run);
    CHECK(m.time_model == run.time_model());
    const auto r = sv::simulate(m, s, sv::make_requests(s, m));
    const double decode = run.stage(MM_STAGE_DECODE)->time.time_s;
    CHECK(r.ttft_s.mean == doctest::Approx(run.ttft_s()).epsilon(1e-9));
    CHECK(r.e2e_s.mean - r.ttft_s.mean == doctest::Approx(decode).epsilon(1e-9));
    CHECK(r.tpot_s.mean == doctest::Approx(*run.tpot_s()).epsilon(1e-9));
    // And the cost model is not trivially flat: 100 sequences cost more than one, less than 100 alone.
    const double step1 = m.body(1) + m.lm_head(1) + m.attention_launch_s + m.decode_attention(1000);
    const double step100 = m.body(100) + m.lm_head(100) + m.attention_launch_s + 100 * m.decode_attention(1000);
    CHECK(step100 > step1);
    CHECK(step100 < 100 * step1);
  }
}

TEST_CASE("bad serving keys are one-line errors naming key, value and what is allowed") {
  core::ResolveInputs in;
  in.workload_file = kConfigs + "/workloads/std-v1.toml";
  in.workload_name = "std-v1";
  auto expect = [&](const char* set, const char* a, const char* b) {
    auto inputs = in;
    inputs.overrides.push_back(core::parse_override(set));
    std::string msg;
    try {
      sv::read_settings(core::resolve_config(sv::catalog(*dsocr()), inputs));
    } catch (const core::InputError& e) {
      msg = e.what();
    }
    CAPTURE(set);
    CAPTURE(msg);
    CHECK(msg.find(a) != std::string::npos);
    CHECK(msg.find(b) != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  };
  expect("serving.max_num_seqs=0", "serving.max_num_seqs", "from 1");
  expect("serving.gpu_memory_utilization=1.5", "serving.gpu_memory_utilization", "1.5");
  expect("serving.arrival=burst", "serving.arrival", "closed");
  expect("serving.max_num_seq=8", "serving.max_num_seq", "serving.max_num_seqs");
  expect("serving.arrival=trace", "serving.trace_file", "trace");
  expect("serving.max_num_batched_tokens=16", "serving.max_num_batched_tokens", "max_num_seqs");
}

TEST_CASE("chunked prefill splits a prompt over iterations, and without it a prompt over the budget is an error") {
  // 100-token prompts, 32 tokens per iteration: ceil(100 / 32) = 4 iterations to the first token.
  const double tau = 0.01;
  const auto m = trivial(tau, 100, 5, 1000000);
  auto s = closed_loop(1, 10);
  s.max_num_seqs = 1;
  s.max_num_batched_tokens = 32;
  const auto r = sv::simulate(m, s, sv::make_requests(s, m));
  CHECK(r.ttft_s.mean == doctest::Approx(4 * tau).epsilon(1e-12));
  CHECK(r.e2e_s.mean == doctest::Approx((4 + 4) * tau).epsilon(1e-12));  // then 4 decode iterations
  s.chunked_prefill = false;
  std::string msg;
  try {
    sv::simulate(m, s, sv::make_requests(s, m));
  } catch (const core::InputError& e) {
    msg = e.what();
  }
  CHECK(msg.find("serving.max_num_batched_tokens") != std::string::npos);
  CHECK(msg.find("100 tokens") != std::string::npos);
}

TEST_CASE("without chunked prefill (vLLM V0) prefills run alone: decodes pause while a new request starts") {
  // Concurrency 2, outputs 2 and 4 tokens: when the first finishes, the next request is prefilled in an iteration
  // of its own, and the running sequence skips that iteration.
  const double tau = 0.01;
  auto m = trivial(tau, 4, 3, 1000000);
  sv::Settings s = closed_loop(2, 3);
  s.chunked_prefill = false;
  std::vector<sv::Request> reqs(3);
  reqs[0] = {0, 4, 2, 0};
  reqs[1] = {0, 4, 4, 0};
  reqs[2] = {0, 4, 2, 0};
  const auto r = sv::simulate(m, s, reqs);
  // t=0.01: both prefilled (tokens 1). 0.02: decode both (r0 done). 0.03: prefill r2 alone. 0.04: decode r1, r2
  // (r2 done at its 2nd token). 0.05: decode r1 (4th token).
  CHECK(r.iterations == 5);
  // r1 waited an iteration for r2's prefill: E2E 0.05 s, and one inter-token gap of 2 iterations among five
  // gaps (r0: 1, r1: 3, r2: 1), so the mean ITL is (4 x 0.01 + 0.02) / 5.
  CHECK(*std::max_element(r.e2e_each.begin(), r.e2e_each.end()) == doctest::Approx(0.05).epsilon(1e-12));
  CHECK(r.itl_s.mean == doctest::Approx(0.012).epsilon(1e-12));
  CHECK(r.itl_s.p99 == doctest::Approx(0.0196).epsilon(1e-12));  // numpy's linear percentile of the five gaps
}

TEST_CASE("trace arrivals: arrival times and lengths from a CSV, and bad rows name file, line and value") {
  const auto dir = std::filesystem::temp_directory_path() / "mm_serving_trace_test";
  std::filesystem::create_directories(dir);
  const auto path = (dir / "trace.csv").string();
  {
    std::ofstream f(path);
    f << "arrival_s,prompt_tokens,output_tokens\n0.5,1,3\n0.0,1,2\n";
  }
  auto m = trivial(0.01, 1, 8, 1000000);
  sv::Settings s = closed_loop(1, 1);
  s.arrival = "trace";
  s.trace_file = path;
  const auto reqs = sv::make_requests(s, m);
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[0].arrival_s == 0.0);  // sorted by arrival
  CHECK(reqs[0].output_tokens == 2);
  const auto r = sv::simulate(m, s, reqs);
  CHECK(r.e2e_s.mean == doctest::Approx((0.02 + 0.03) / 2).epsilon(1e-12));  // no overlap: each alone
  CHECK(r.window_end_s == doctest::Approx(0.53).epsilon(1e-12));
  {
    std::ofstream f(path);
    f << "arrival_s,prompt_tokens,output_tokens\n0.5,1,x3\n";
  }
  std::string msg;
  try {
    sv::make_requests(s, m);
  } catch (const core::InputError& e) {
    msg = e.what();
  }
  CHECK(msg.find(path + ":2") != std::string::npos);
  CHECK(msg.find("output_tokens = 'x3'") != std::string::npos);
  std::filesystem::remove_all(dir);
}
