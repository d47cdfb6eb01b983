// `modelmeter simulate` and `modelmeter plan` (docs/serving.md): the serving simulator on a workload's [serving]
// section, and the search of hardware x GPU count x layout x batch limits under an SLA.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/serving.hpp>
#include <mutex>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "install_layout.hpp"
#include "resources.hpp"

namespace modelmeter::host {

namespace sv = core::serving;

namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string ms(double s) {
  return fmt("%.1f ms", s * 1e3);
}

void print_simulation(const sv::CostModel& m, const sv::Settings& s, const sv::Result& r, const std::string& what) {
  std::ostringstream o;
  o << "serving simulation: " << what << ", time model " << m.time_model
    << (m.time_model == "roofline" ? " (no calibration: a roofline bound)" : "") << "\n";
  o << "arrival " << s.arrival;
  if (s.arrival == "closed") o << " at concurrency " << s.concurrency;
  if (s.arrival == "poisson") o << " at " << s.rate << " requests/s";
  o << ", " << r.requests << " requests (" << r.measured << " measured: " << r.warmup << " warm-up and " << r.cooldown
    << " cool-down completions left out), prompt " << m.prompt_tokens << " tokens, output " << m.output_tokens
    << " tokens (" << s.output_dist << ")\n";
  o << "scheduler: max_num_seqs " << s.max_num_seqs << ", max_num_batched_tokens " << s.max_num_batched_tokens
    << ", chunked prefill " << (s.chunked_prefill ? "on" : "off") << "; KV cache " << m.kv_blocks << " blocks of "
    << s.block_size << " tokens ("
    << fmt("%.2f", static_cast<double>(m.kv_blocks * s.block_size) * m.kv_bytes_per_token / 1e9) << " GB)\n";
  o << "throughput " << fmt("%.3f", r.requests_per_s) << " requests/s, " << fmt("%.0f", r.output_tokens_per_s)
    << " output tokens/s, " << fmt("%.0f", r.total_tokens_per_s) << " total tokens/s";
  if (r.pages_per_day) o << ", " << fmt("%.0f", *r.pages_per_day) << " pages/day";
  o << "\n";
  auto line = [&](const char* name, const sv::Percentiles& p) {
    o << name << " mean " << ms(p.mean) << ", p50 " << ms(p.p50) << ", p90 " << ms(p.p90) << ", p99 " << ms(p.p99)
      << "\n";
  };
  line("TTFT", r.ttft_s);
  line("TPOT", r.tpot_s);
  line("ITL ", r.itl_s);
  line("E2E ", r.e2e_s);
  o << "batch mean " << fmt("%.1f", r.mean_batch) << ", max " << r.max_batch << "; KV use mean "
    << fmt("%.1f%%", 100 * r.mean_kv_use) << "; preemptions " << r.preemptions << "; " << r.iterations
    << " iterations\n";
  std::cout << o.str();
}

struct Prepared {
  core::RunRequest req;
  core::ResolvedConfig config;
  sv::Settings settings;
};

Prepared prepare(const GlobalOptions& g, const RunOptions& o) {
  Prepared p;
  p.req = run_request(g, o);
  p.config = core::resolve_config(sv::catalog(*p.req.plugin), p.req.inputs);
  p.settings = sv::read_settings(p.config);
  return p;
}

}  // namespace

int cmd_simulate(const GlobalOptions& g, const RunOptions& o) {
  const auto writers = load_writers(g, split_list(o.formats, "--format"));
  const Prepared p = prepare(g, o);
  core::RunResult single;
  const sv::CostModel model = sv::derive_cost_model(p.req.plugin, p.config, p.req.hardware, p.settings, &single);
  const auto requests = sv::make_requests(p.settings, model);
  const sv::Result result = sv::simulate(model, p.settings, requests);
  auto report = core::build_report(single, kToolVersion, false);
  sv::add_serving(*report, report->root(), p.settings, model, result);
  const auto written = write_outputs(writers, report->freeze(), o.out);
  print_simulation(model, p.settings, result,
                   p.req.plugin->name() + " on " + p.req.hardware.id + ", workload " + o.workload);
  std::size_t pages = 0;
  for (const auto& f : written) {
    if (std::filesystem::path(f).parent_path().filename() == "layers") {
      ++pages;
    } else {
      std::cout << "wrote " << f << "\n";
    }
  }
  if (pages > 0) std::cout << "wrote " << pages << " layer pages in " << o.out << "/layers/\n";
  return kExitOk;
}

}  // namespace modelmeter::host
