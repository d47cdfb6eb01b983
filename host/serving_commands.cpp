// `modelmeter simulate` and `modelmeter plan` (docs/serving.md): the serving simulator on a workload's [serving]
// section, and the search of hardware x GPU count x layout x batch limits under an SLA.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/serving.hpp>
#include <modelmeter/core/sweep.hpp>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "commands.hpp"
#include "install_layout.hpp"
#include "resources.hpp"

namespace modelmeter::host {

namespace sv = core::serving;
using core::InputError;

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

namespace {

// simulate --vary: one simulation per combination of the varied values (the last varies fastest), as a sweep
// document whose rows are the serving figures.
int simulate_sweep(const GlobalOptions& g, const RunOptions& o, const std::vector<std::string>& vary_args) {
  const auto writers = load_writers(g, split_list(o.formats, "--format"));
  std::vector<core::Vary> vary;
  std::size_t total = 1;
  for (const auto& v : vary_args) {
    vary.push_back(core::parse_vary(v));
    total *= vary.back().values.size();
    if (total > 100000) throw InputError("simulate --vary: more than 100,000 combinations");
  }
  const core::RunRequest base = run_request(g, o);
  const core::KeyCatalog catalog = sv::catalog(*base.plugin);
  auto doc = core::new_document("sweep", *base.plugin, kToolVersion);
  core::DocTree& t = *doc;
  auto* root = t.root();
  t.set(t.object(root, "workload"), "name", o.workload);
  auto* varied = t.array(root, "varied");
  for (const auto& v : vary) t.push(varied, v.key);
  const std::vector<std::string> figures = {
      "hardware",           "feasible",      "reason",      "time_model", "requests_per_s", "output_tokens_per_s",
      "total_tokens_per_s", "pages_per_day", "ttft_mean_s", "ttft_p50_s", "ttft_p99_s",     "tpot_mean_s",
      "tpot_p99_s",         "itl_p99_s",     "e2e_p99_s",   "mean_batch", "max_batch",      "kv_blocks",
      "preemptions"};
  auto* cols = t.array(root, "columns");
  for (const auto& v : vary) t.push(cols, v.key);
  for (const auto& f : figures) t.push(cols, f);
  auto* rows = t.array(root, "rows");
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  std::size_t feasible = 0;
  for (std::size_t i = 0; i < total; ++i) {
    core::ResolveInputs inputs = base.inputs;
    std::vector<std::string> values;
    std::size_t rest = i;
    for (std::size_t k = vary.size(); k-- > 0;) {
      values.insert(values.begin(), vary[k].values[rest % vary[k].values.size()]);
      rest /= vary[k].values.size();
    }
    for (std::size_t k = 0; k < vary.size(); ++k) {
      inputs.overrides.push_back(core::parse_override(vary[k].key + "=" + values[k]));
    }
    auto* row = t.push_array(rows);
    for (const auto& v : values) t.push(row, v);
    t.push(row, base.hardware.id);
    try {
      const core::ResolvedConfig config = core::resolve_config(catalog, inputs);
      const sv::Settings s = sv::read_settings(config);
      const sv::CostModel m = sv::derive_cost_model(base.plugin, config, base.hardware, s);
      const sv::Result r = sv::simulate(m, s, sv::make_requests(s, m));
      ++feasible;
      t.push_bool(row, true);
      t.push(row, "");
      t.push(row, m.time_model);
      for (double v : {r.requests_per_s, r.output_tokens_per_s, r.total_tokens_per_s}) t.push_number(row, v);
      t.push_number(row, r.pages_per_day);
      for (double v : {r.ttft_s.mean, r.ttft_s.p50, r.ttft_s.p99, r.tpot_s.mean, r.tpot_s.p99, r.itl_s.p99, r.e2e_s.p99,
                       r.mean_batch}) {
        t.push_number(row, v);
      }
      t.push_int(row, static_cast<int64_t>(r.max_batch));
      t.push_int(row, static_cast<int64_t>(m.kv_blocks));
      t.push_int(row, static_cast<int64_t>(r.preemptions));
    } catch (const InputError& e) {
      t.push_bool(row, false);
      t.push(row, e.what());
      for (std::size_t k = 3; k < figures.size(); ++k) t.push_null(row);
    }
    if (tty) {
      std::fprintf(stderr, "\r%zu/%zu simulations%s", i + 1, total, i + 1 == total ? "\n" : "");
      std::fflush(stderr);
    }
  }
  t.set(root, "interrupted", false);
  const auto written = write_outputs(writers, doc->freeze(), o.out);
  std::cout << "simulate of " << base.plugin->name() << ", workload " << o.workload << " on " << base.hardware.id
            << ": " << total << " combinations (" << feasible << " simulated)\n";
  for (const auto& f : written) std::cout << "wrote " << f << "\n";
  return kExitOk;
}

}  // namespace

int cmd_simulate(const GlobalOptions& g, const RunOptions& o, const std::vector<std::string>& vary) {
  if (!vary.empty()) return simulate_sweep(g, o, vary);
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

namespace {

std::vector<uint64_t> parse_counts(const std::string& text, const char* option) {
  std::vector<uint64_t> out;
  for (const auto& item : split_list(text, option)) {
    std::size_t used = 0;
    unsigned long long v = 0;
    try {
      v = std::stoull(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size() || v == 0 || v > (1ull << 20)) {
      throw core::Failure(kExitUsage,
                          std::string(option) + " '" + item + "': expected whole numbers from 1 to 1048576");
    }
    out.push_back(v);
  }
  return out;
}

struct Layout {
  std::string name;                    // "replica" or "tp=2"
  std::vector<std::string> overrides;  // workload keys it sets
  uint64_t gpus = 1;                   // GPUs per replica
};

struct Entry {  // one (hardware, layout): its cost model, derived once
  std::string hardware;
  double price = 0;  // US dollars per GPU-hour; 0 = none
  Layout layout;
  sv::Settings base;
  std::optional<sv::CostModel> model;
  std::string error;
};

struct Candidate {
  std::size_t entry = 0;
  uint64_t gpus = 1, replicas = 1, max_num_seqs = 0, max_num_batched_tokens = 0;
  bool ran = false, meets = false, pareto = false;
  std::string reason;
  sv::Result result;
  uint64_t kv_blocks = 0;
  double tokens_per_gpu = 0, requests_per_gpu = 0;
  // US dollars per million output tokens and per thousand requests (pages for DeepSeek-OCR); unset without a
  // price or a throughput.
  std::optional<double> usd_per_million_tokens, usd_per_thousand_requests;
};

// --price "h100-sxm=4.9,a100-40g=1.8": US dollars per GPU-hour by hardware name.
std::map<std::string, double> parse_prices(const std::string& text) {
  std::map<std::string, double> prices;
  if (text.empty()) return prices;
  for (const auto& item : split_list(text, "--price")) {
    const auto eq = item.find('=');
    double v = 0;
    if (eq != std::string::npos && eq > 0) {
      const std::string num = item.substr(eq + 1);
      char* end = nullptr;
      v = std::strtod(num.c_str(), &end);
      if (num.empty() || end != num.c_str() + num.size()) v = 0;
    }
    if (eq == std::string::npos || eq == 0 || !(v > 0) || !std::isfinite(v) || v > 10000) {
      throw core::Failure(kExitUsage, "--price '" + item +
                                          "': expected HARDWARE=USD with USD a number in (0, 10000] "
                                          "(US dollars per GPU-hour)");
    }
    prices[item.substr(0, eq)] = v;
  }
  return prices;
}

}  // namespace

int cmd_plan(const GlobalOptions& g, const PlanOptions& o) {
  const auto writers = load_writers(g, split_list(o.formats, "--format"));
  const auto hardware = split_list(o.hardware, "--hardware");
  const auto gpu_counts = parse_counts(o.gpus, "--gpus");
  const auto seqs = parse_counts(o.max_num_seqs, "--max-num-seqs");
  const auto tokens = parse_counts(o.max_num_batched_tokens, "--max-num-batched-tokens");
  if (o.requests == 0) throw core::Failure(kExitUsage, "--requests must be at least 1");
  if (o.rank_by != "throughput" && o.rank_by != "cost") {
    throw core::Failure(kExitUsage, "--rank-by '" + o.rank_by + "': allowed values are throughput, cost");
  }
  std::map<std::string, double> prices = parse_prices(o.prices);
  for (const auto& [name, usd] : prices) {
    (void)usd;
    if (std::find(hardware.begin(), hardware.end(), name) == hardware.end()) {
      throw core::Failure(kExitUsage, "--price '" + name + "': not one of the --hardware names");
    }
  }

  // Layouts are sets of workload overrides: tensor parallelism when the plugin shards over TP GPUs
  // (mm_plugin_info.parallel, ABI 1.3; core declares parallel.tp for every plugin); otherwise each GPU holds a
  // whole replica.
  RunOptions first{o.plugin, o.workload, o.model, hardware.front(), o.calibration, o.sets, "", ""};
  const core::RunRequest probe = run_request(g, first);
  const core::KeyCatalog catalog = sv::catalog(*probe.plugin);
  std::vector<Layout> layouts;
  const uint64_t most_gpus = *std::max_element(gpu_counts.begin(), gpu_counts.end());
  const mm_plugin_info& info = probe.plugin->info();
  const bool shards_tp = info.struct_size >= offsetof(mm_plugin_info, parallel) + sizeof info.parallel &&
                         (info.parallel & MM_PARALLEL_TP) != 0;
  if (shards_tp && catalog.find("parallel.tp") != nullptr) {
    for (uint64_t tp = 1; tp <= most_gpus; tp *= 2) {
      layouts.push_back({"tp=" + std::to_string(tp), {"parallel.tp=" + std::to_string(tp)}, tp});
    }
  } else {
    layouts.push_back({"replica", {}, 1});
  }

  std::vector<uint64_t> extra = tokens;
  extra.push_back(*std::max_element(seqs.begin(), seqs.end()));
  std::vector<Entry> entries;
  std::string arrival;
  double rate = 0;
  uint64_t concurrency = 0;
  for (const auto& h : hardware) {
    RunOptions ro = first;
    ro.hardware = h;
    const core::RunRequest req = run_request(g, ro);
    for (const auto& layout : layouts) {
      Entry e;
      e.hardware = req.hardware.id;
      e.layout = layout;
      const auto given = prices.find(h);
      e.price = given != prices.end() ? given->second : req.hardware.price_usd_per_gpu_hour;
      core::ResolveInputs inputs = req.inputs;
      for (const auto& ov : layout.overrides) inputs.overrides.push_back(core::parse_override(ov));
      const core::ResolvedConfig config = core::resolve_config(catalog, inputs);
      e.base = sv::read_settings(config);
      if (e.base.arrival == "trace") {
        throw InputError("plan simulates closed-loop or poisson arrivals, not a trace (serving.arrival = \"trace\")");
      }
      arrival = e.base.arrival;
      rate = e.base.rate;
      concurrency = e.base.concurrency;
      try {
        e.model = sv::derive_cost_model(req.plugin, config, req.hardware, e.base, nullptr, extra);
      } catch (const InputError& err) {
        e.error = err.what();
      }
      entries.push_back(std::move(e));
    }
  }

  std::vector<Candidate> cands;
  for (std::size_t ei = 0; ei < entries.size(); ++ei) {
    for (uint64_t gpus : gpu_counts) {
      if (gpus % entries[ei].layout.gpus != 0) continue;
      for (uint64_t s : seqs) {
        for (uint64_t t : tokens) {
          if (t < s) continue;  // vLLM requires max_num_batched_tokens >= max_num_seqs
          Candidate c;
          c.entry = ei;
          c.gpus = gpus;
          c.replicas = gpus / entries[ei].layout.gpus;
          c.max_num_seqs = s;
          c.max_num_batched_tokens = t;
          cands.push_back(c);
        }
      }
    }
  }

  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress_mutex;
  auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  auto progress = [&](bool final) {
    if (!tty) return;
    const std::lock_guard<std::mutex> lock(progress_mutex);
    const auto now = std::chrono::steady_clock::now();
    if (!final && now - last_draw < std::chrono::milliseconds(100)) return;
    last_draw = now;
    const std::size_t d = done.load(), total = cands.size();
    const int width = 40, filled = total == 0 ? width : static_cast<int>(static_cast<double>(d) / total * width);
    std::fprintf(stderr, "\r[%s%s] %zu/%zu candidates%s", std::string(filled, '#').c_str(),
                 std::string(width - filled, ' ').c_str(), d, total, final ? "\n" : "");
    std::fflush(stderr);
  };
  auto work = [&]() {
    for (std::size_t i = next++; i < cands.size(); i = next++) {
      Candidate& c = cands[i];
      const Entry& e = entries[c.entry];
      if (!e.model) {
        c.reason = e.error;
      } else {
        sv::Settings s = e.base;
        s.max_num_seqs = c.max_num_seqs;
        s.max_num_batched_tokens = c.max_num_batched_tokens;
        s.num_requests = o.requests;
        if (s.arrival == "closed") s.concurrency = (s.concurrency + c.replicas - 1) / c.replicas;
        if (s.arrival == "poisson") s.rate = s.rate / static_cast<double>(c.replicas);
        sv::CostModel m = *e.model;
        sv::size_kv_cache(m, s);
        c.kv_blocks = m.kv_blocks;
        if (m.kv_blocks == 0) {
          c.reason = "no memory left for the KV cache";
        } else {
          try {
            c.result = sv::simulate(m, s, sv::make_requests(s, m));
            c.ran = true;
            c.tokens_per_gpu = c.result.output_tokens_per_s / static_cast<double>(e.layout.gpus);
            c.requests_per_gpu = c.result.requests_per_s / static_cast<double>(e.layout.gpus);
            if (e.price > 0 && c.tokens_per_gpu > 0)
              c.usd_per_million_tokens = e.price / (c.tokens_per_gpu * 3600) * 1e6;
            if (e.price > 0 && c.requests_per_gpu > 0) {
              c.usd_per_thousand_requests = e.price / (c.requests_per_gpu * 3600) * 1e3;
            }
            const bool ttft_ok = o.ttft_p99 <= 0 || c.result.ttft_s.p99 <= o.ttft_p99;
            const bool tpot_ok = o.tpot_p99 <= 0 || c.result.tpot_s.p99 <= o.tpot_p99;
            c.meets = ttft_ok && tpot_ok;
            if (!ttft_ok) c.reason = "TTFT p99 over the SLA";
            if (!tpot_ok) c.reason += std::string(c.reason.empty() ? "" : "; ") + "TPOT p99 over the SLA";
          } catch (const InputError& err) {
            c.reason = err.what();
          }
        }
      }
      ++done;
      progress(false);
    }
  };
  const unsigned threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  progress(true);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Pareto: no other candidate that ran has at least the throughput per GPU and at most both p99 latencies,
  // one of them strictly better.
  for (auto& c : cands) {
    if (!c.ran) continue;
    c.pareto = std::none_of(cands.begin(), cands.end(), [&](const Candidate& d) {
      if (!d.ran) return false;
      const bool no_worse = d.tokens_per_gpu >= c.tokens_per_gpu && d.result.ttft_s.p99 <= c.result.ttft_s.p99 &&
                            d.result.tpot_s.p99 <= c.result.tpot_s.p99;
      const bool better = d.tokens_per_gpu > c.tokens_per_gpu || d.result.ttft_s.p99 < c.result.ttft_s.p99 ||
                          d.result.tpot_s.p99 < c.result.tpot_s.p99;
      return no_worse && better;
    });
  }
  std::vector<std::size_t> order(cands.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Candidate &x = cands[a], &y = cands[b];
    if (x.meets != y.meets) return x.meets;
    if (x.ran != y.ran) return x.ran;
    if (o.rank_by == "cost") {
      // Priced candidates first, the cheapest per million output tokens first.
      if (x.usd_per_million_tokens.has_value() != y.usd_per_million_tokens.has_value()) {
        return x.usd_per_million_tokens.has_value();
      }
      if (x.usd_per_million_tokens && *x.usd_per_million_tokens != *y.usd_per_million_tokens) {
        return *x.usd_per_million_tokens < *y.usd_per_million_tokens;
      }
    }
    if (x.tokens_per_gpu != y.tokens_per_gpu) return x.tokens_per_gpu > y.tokens_per_gpu;
    return x.gpus < y.gpus;
  });

  auto doc = core::new_document("plan", *probe.plugin, kToolVersion);
  core::DocTree& t = *doc;
  auto* root = t.root();
  t.set(t.object(root, "workload"), "name", o.workload);
  auto* sla = t.object(root, "sla");
  t.set(sla, "ttft_p99_s", o.ttft_p99 > 0 ? std::optional<double>(o.ttft_p99) : std::nullopt);
  t.set(sla, "tpot_p99_s", o.tpot_p99 > 0 ? std::optional<double>(o.tpot_p99) : std::nullopt);
  auto* load = t.object(root, "load");
  t.set(load, "arrival", arrival);
  if (arrival == "closed") t.set_int(load, "concurrency", static_cast<int64_t>(concurrency));
  if (arrival == "poisson") t.set(load, "rate_per_s", rate);
  t.set(load, "split",
        "the load is shared evenly by the replicas: each sees concurrency / replicas (rounded up) or rate / replicas");
  t.set_int(root, "requests_per_candidate", static_cast<int64_t>(o.requests));
  t.set(root, "layouts",
        layouts.size() > 1 ? "tensor parallelism (parallel.tp) as the plugin declares it; replicas = GPUs / tp"
                           : "one whole replica per GPU: the plugin does not shard over tensor-parallel GPUs");
  std::string priced, unpriced;
  for (const auto& e : entries) {
    std::string& list = e.price > 0 ? priced : unpriced;
    const std::string item = e.price > 0 ? e.hardware + " $" + fmt("%g", e.price) : e.hardware;
    if (list.find(item) == std::string::npos) list += (list.empty() ? "" : ", ") + item;
  }
  std::string price_text = priced.empty() ? "no hardware has a price per GPU-hour (a profile's [price] or --price): "
                                            "cost is not computed"
                                          : "US dollars per GPU-hour: " + priced;
  if (!priced.empty() && !unpriced.empty()) price_text += "; no price for " + unpriced + " (cost null)";
  t.set(root, "price", price_text);
  t.set(root, "rank_by",
        o.rank_by == "cost" ? "SLA met, then cost per million output tokens (priced first)"
                            : "SLA met, then output tokens/s per GPU");
  const std::vector<std::string> columns = {"rank",
                                            "hardware",
                                            "gpus",
                                            "layout",
                                            "replicas",
                                            "max_num_seqs",
                                            "max_num_batched_tokens",
                                            "meets_sla",
                                            "pareto",
                                            "output_tokens_per_s_per_gpu",
                                            "requests_per_s_per_gpu",
                                            "usd_per_million_output_tokens",
                                            "usd_per_thousand_requests",
                                            "ttft_p99_s",
                                            "tpot_p99_s",
                                            "e2e_p99_s",
                                            "mean_batch",
                                            "kv_blocks",
                                            "preemptions",
                                            "time_model",
                                            "reason"};
  auto* cols = t.array(root, "columns");
  for (const auto& c : columns) t.push(cols, c);
  auto* rows = t.array(root, "rows");
  int64_t rank = 0;
  for (std::size_t i : order) {
    const Candidate& c = cands[i];
    const Entry& e = entries[c.entry];
    auto* row = t.push_array(rows);
    t.push_int(row, ++rank);
    t.push(row, e.hardware);
    t.push_int(row, static_cast<int64_t>(c.gpus));
    t.push(row, e.layout.name);
    t.push_int(row, static_cast<int64_t>(c.replicas));
    t.push_int(row, static_cast<int64_t>(c.max_num_seqs));
    t.push_int(row, static_cast<int64_t>(c.max_num_batched_tokens));
    t.push_bool(row, c.meets);
    t.push_bool(row, c.pareto);
    auto num = [&](bool have, double v) { t.push_number(row, have ? std::optional<double>(v) : std::nullopt); };
    num(c.ran, c.tokens_per_gpu);
    num(c.ran, c.requests_per_gpu);
    t.push_number(row, c.usd_per_million_tokens);
    t.push_number(row, c.usd_per_thousand_requests);
    num(c.ran, c.result.ttft_s.p99);
    num(c.ran, c.result.tpot_s.p99);
    num(c.ran, c.result.e2e_s.p99);
    num(c.ran, c.result.mean_batch);
    t.push_int(row, static_cast<int64_t>(c.kv_blocks));
    t.push_int(row, static_cast<int64_t>(c.result.preemptions));
    t.push(row, e.model ? e.model->time_model : std::string("n/a"));
    t.push(row, c.reason);
  }
  t.set(root, "interrupted", false);
  const auto written = write_outputs(writers, doc->freeze(), o.out);

  std::size_t meeting = 0;
  for (const auto& c : cands) meeting += c.meets ? 1 : 0;
  std::cout << "plan of " << probe.plugin->name() << ", workload " << o.workload << ": " << cands.size()
            << " candidates simulated in " << fmt("%.1f", elapsed) << " s on " << threads << " threads, " << meeting
            << " meet the SLA";
  if (o.ttft_p99 > 0) std::cout << " (TTFT p99 <= " << ms(o.ttft_p99) << ")";
  if (o.tpot_p99 > 0) std::cout << " (TPOT p99 <= " << ms(o.tpot_p99) << ")";
  std::cout << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%4s %-10s %4s %-8s %5s %6s %14s %10s %10s %10s %s\n", "rank", "hardware", "gpus",
                "layout", "seqs", "tokens", "tokens/s/GPU", "$/Mtok", "TTFT p99", "TPOT p99", "");
  std::cout << line;
  for (std::size_t k = 0; k < std::min<std::size_t>(10, order.size()); ++k) {
    const Candidate& c = cands[order[k]];
    const Entry& e = entries[c.entry];
    std::snprintf(
        line, sizeof line, "%4zu %-10s %4llu %-8s %5llu %6llu %14s %10s %10s %10s %s\n", k + 1, e.hardware.c_str(),
        static_cast<unsigned long long>(c.gpus), e.layout.name.c_str(), static_cast<unsigned long long>(c.max_num_seqs),
        static_cast<unsigned long long>(c.max_num_batched_tokens), c.ran ? fmt("%.0f", c.tokens_per_gpu).c_str() : "-",
        c.usd_per_million_tokens ? fmt("%.3f", *c.usd_per_million_tokens).c_str() : "-",
        c.ran ? ms(c.result.ttft_s.p99).c_str() : "-", c.ran ? ms(c.result.tpot_s.p99).c_str() : "-",
        c.meets ? (c.pareto ? "pareto" : "") : c.reason.c_str());
    std::cout << line;
  }
  for (const auto& f : written) std::cout << "wrote " << f << "\n";
  return kExitOk;
}

}  // namespace modelmeter::host
