// The host's commands: locate bundled files, load plugins, run, print, write.
#include "commands.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/core/output.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/sweep.hpp>
#include <modelmeter/core/training.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string_view>
#include <tuple>

#include "check_plugin.hpp"
#include "install_layout.hpp"
#include "log.hpp"
#include "resources.hpp"

namespace modelmeter::host {

namespace fs = std::filesystem;
using core::InputError;

namespace {

// "1.23 T" style with an SI prefix.
std::string si(double v, const char* unit) {
  static const char* prefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int i = 0;
  double x = v;
  while (std::fabs(x) >= 1000 && i < 6) {
    x /= 1000;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s%s", x, prefixes[i], unit);
  return buf;
}

std::string seconds(double s) {
  char buf[64];
  if (s >= 1) {
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  } else if (s >= 1e-3) {
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  }
  return buf;
}

std::string opt(const std::optional<double>& v, const char* unit) {
  return v ? si(*v, unit) : "n/a";
}

// Forward and train: the task's figures, no prompt, TTFT or KV cache (docs/report-schema.md).
void print_task_summary(std::ostringstream& o, const core::RunResult& r) {
  const auto params = r.parameters();
  const bool train = r.training != nullptr;
  o << "task " << core::task_name(r.task) << ", parameters " << (params ? si(*params, "") : "n/a") << ", "
    << r.samples() << " samples of " << r.tokens_per_sample() << " tokens\n";
  const uint32_t dp = r.prepared ? r.prepared->layout.dp : 1;
  if (dp > 1) {  // data parallelism: the figures below are one GPU's, the throughput the replicas' together
    o << "data parallel: " << dp << " GPUs of " << r.prepared->replica_batch() << " samples each";
    if (train) o << ", ZeRO stage " << r.training_options.zero;
    o << "; per GPU:\n";
  }
  char line[256];
  std::snprintf(line, sizeof line, "%-9s %12s %12s %12s %10s\n", train ? "part" : "stage", "TC FLOPs", "CUDA FLOPs",
                "I/O", "time");
  o << line;
  const auto row = [&](const char* name, double tc, double cuda, double io, double t) {
    std::snprintf(line, sizeof line, "%-9s %12s %12s %12s %10s\n", name, si(tc, "FLOP").c_str(),
                  si(cuda, "FLOP").c_str(), si(io, "B").c_str(), seconds(t).c_str());
    o << line;
  };
  double time = r.forward_time_s();
  if (train) {
    const core::training::Step& st = *r.training;
    row("forward", st.forward.tc_flops, st.forward.cuda_flops, st.forward.io_bytes, st.forward.time_s);
    row("backward", st.backward.tc_flops, st.backward.cuda_flops, st.backward.io_bytes, st.backward.time_s);
    row("recompute", st.recompute.tc_flops, st.recompute.cuda_flops, st.recompute.io_bytes, st.recompute.time_s);
    row("optimizer", st.optimizer.tc_flops, st.optimizer.cuda_flops, st.optimizer.io_bytes, st.optimizer.time_s);
    if (st.dp > 1) {  // the DP collectives: bytes sent per GPU in the I/O column, not overlapped
      std::snprintf(line, sizeof line, "%-9s %12s %12s %12s %10s\n", "dp comm", "", "", si(st.comm_bytes, "B").c_str(),
                    seconds(st.comm_time_s).c_str());
      o << line;
    }
    time = st.time_s;
  } else {
    for (const auto& s : r.stages) {
      row(core::stage_name(s.stage), s.forward[MM_METRIC_TC_FLOPS].value_or(0),
          s.forward[MM_METRIC_CUDA_FLOPS].value_or(0), s.forward[MM_METRIC_IO_BYTES].value_or(0), s.time.time_s);
    }
  }
  char rate[128];
  std::snprintf(rate, sizeof rate, "%.1f samples/s, %.0f tokens/s", r.samples() / time,
                r.samples() * static_cast<double>(r.tokens_per_sample()) / time);
  o << (train ? "step time " : "time ") << seconds(time) << ", " << rate;
  if (train) {
    char mfu[32];
    std::snprintf(mfu, sizeof mfu, "%.1f%%", 100 * r.training->mfu(r.hardware.tensor_peak_for(r.compute_dtype)));
    o << ", MFU " << mfu << " (roofline, recompute " << core::training::recompute_name(r.training_options.recompute)
      << ")";
  }
  o << "\n";
  if (train) {
    const core::training::Step& st = *r.training;
    o << "memory: weights " << si(st.weight_bytes, "B") << " + gradients " << si(st.gradient_bytes, "B")
      << " + optimizer " << si(st.optimizer_bytes, "B") << " + activations " << si(st.activation_bytes, "B");
    if (st.gathered_weight_bytes > 0) o << " + gathered weights " << si(st.gathered_weight_bytes, "B");
  } else {
    o << "memory: weights " << opt(r.weights_bytes(), "B") << " + peak activations "
      << opt(r.activations_peak_bytes(), "B");
  }
  if (const auto total = r.task_memory_total_bytes()) {
    o << " = " << si(*total, "B") << " of " << si(r.hardware.capacity, "B") << ": "
      << (*total <= r.hardware.capacity ? "fits" : "DOES NOT FIT");
  }
  o << "\n";
}

void print_summary(const core::RunResult& r, const std::string& workload) {
  std::ostringstream o;
  o << "modelmeter " << kToolVersion << ": plugin " << r.plugin->name() << " " << r.plugin->version() << ", model "
    << r.model_name << ", workload " << workload << ", hardware " << r.hardware.id << " (" << r.hardware.name
    << "), compute " << core::dtype_name(r.compute_dtype) << ", attention "
    << r.config().settings.at("attention.impl").value.string << "\n";
  const auto params = r.parameters();
  if (r.task != MM_TASK_GENERATE) {
    print_task_summary(o, r);
    std::cout << o.str();
    return;
  }
  o << "parameters " << (params ? si(*params, "") : "n/a") << ", prompt " << r.plan.prefill_tokens << " tokens ("
    << (r.plan.has_vision ? r.plan.vision_tokens : 0) << " vision), " << r.new_tokens << " new tokens, batch "
    << r.config().settings.at("batch.size").value.integer << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-8s %10s %12s %12s %12s %10s %8s\n", "stage", "steps", "TC FLOPs", "CUDA FLOPs",
                "I/O", "time", "bound");
  o << line;
  for (const auto& s : r.stages) {
    std::snprintf(line, sizeof line, "%-8s %10llu %12s %12s %12s %10s %8s\n", core::stage_name(s.stage),
                  static_cast<unsigned long long>(s.steps), opt(s.forward[MM_METRIC_TC_FLOPS], "FLOP").c_str(),
                  opt(s.forward[MM_METRIC_CUDA_FLOPS], "FLOP").c_str(), opt(s.forward[MM_METRIC_IO_BYTES], "B").c_str(),
                  seconds(s.time.time_s).c_str(), s.compute_bound() ? "compute" : "memory");
    o << line;
  }
  o << "TTFT " << seconds(r.ttft_s());
  if (const auto tpot = r.tpot_s()) {
    char tps[64];
    std::snprintf(tps, sizeof tps, "%.1f", *r.decode_tokens_per_s());
    o << ", time per output token " << seconds(*tpot) << ", " << tps << " tokens/s";
  }
  o << "\n";
  o << "memory: weights " << opt(r.weights_bytes(), "B") << " + KV cache " << opt(r.kv_cache_bytes(), "B")
    << " + peak activations " << opt(r.activations_peak_bytes(), "B");
  if (const auto total = r.memory_total_bytes()) {
    o << " = " << si(*total, "B") << " of " << si(r.hardware.capacity, "B") << ": "
      << (*r.fits() ? "fits" : "DOES NOT FIT");
  }
  o << "\n";
  std::cout << o.str();
}

// "wrote out/report.json" per top-level file; files in a subfolder (layer pages) as one line per folder.
void print_written(const std::vector<std::string>& written) {
  std::vector<std::pair<std::string, std::size_t>> folders;
  for (const auto& f : written) {
    const fs::path p(f);
    if (p.parent_path().filename() != "layers") {
      std::cout << "wrote " << f << "\n";
      continue;
    }
    const std::string dir = p.parent_path().string();
    auto it = std::find_if(folders.begin(), folders.end(), [&](const auto& d) { return d.first == dir; });
    if (it == folders.end()) it = folders.insert(folders.end(), {dir, 0});
    ++it->second;
  }
  for (const auto& [dir, n] : folders) std::cout << "wrote " << n << " layer pages in " << dir << "/\n";
}

void print_keys(const core::KeyCatalog& catalog) {
  std::cout << "workload keys:\n";
  for (const auto& k : catalog.keys()) {
    std::cout << "  " << k.key << " (" << k.allowed_text() << ", default "
              << (k.default_value ? k.default_value->to_toml() : (k.required ? "required" : "none")) << ", " << k.owner
              << ")" << (k.help.empty() ? "" : ": " + k.help) << "\n";
  }
}

void print_classes(const mm_plugin_info& info) {
  std::cout << "layer classes:\n";
  for (std::size_t i = 0; i < info.class_count; ++i) {
    std::cout << "  " << info.classes[i]->name << " (" << core::category_name(info.classes[i]->category) << ")\n";
  }
}

void print_tree(const core::ModuleNode& n, int depth) {
  const auto& p = n.forward[MM_METRIC_PARAMETERS];
  std::printf("%*s%-*s %-24s x%-6g %16.0f\n", depth * 2, "", 40 - depth * 2, n.name.c_str(), n.class_name.c_str(),
              n.repeat, p ? *p * n.repeat : std::nan(""));
  for (const auto& c : n.children) print_tree(c, depth + 1);
}

}  // namespace

int cmd_run(const GlobalOptions& g, const RunOptions& o) {
  // Everything is found and loaded before any work: plugins, writers, hardware.
  const auto formats = split_list(o.formats, "--format");
  const core::RunRequest req = run_request(g, o);
  const auto writers = load_writers(g, formats);

  const core::RunResult result = core::run_model(req);
  for (const auto& w : result.warnings) log_warning(w);

  const auto report = core::build_report(result, kToolVersion);
  const auto written = write_outputs(writers, report->freeze(), o.out);
  print_summary(result, o.workload);
  print_written(written);
  return kExitOk;
}

namespace {
std::atomic<bool> g_interrupted{false};
volatile std::sig_atomic_t g_signal = 0;  // the first stop signal received (SIGINT or SIGTERM)
extern "C" void on_stop_signal(int sig) {
  if (g_signal == 0) g_signal = sig;
  g_interrupted.store(true);
}
}  // namespace

int cmd_sweep(const GlobalOptions& g, const SweepOptions& o) {
  if (o.vary.empty()) throw core::Failure(kExitUsage, "sweep needs at least one --vary key=start:stop:step|a,b,c");
  const auto formats = split_list(o.formats, "--format");
  const auto writers = load_writers(g, formats);
  core::SweepRequest req = sweep_request(g, o);
  req.stop = &g_interrupted;
  req.threads = o.threads;
  // sweep.csv (the bundled csv writer) streams: the host writes each row as it comes, in the csv writer's format,
  // into the output's temporary. The other writers take the whole document: its rows are held, so they are limited.
  const auto streams = [](const std::shared_ptr<const core::Plugin>& w) {
    return w->name() == "csv" && std::string_view(w->info().format) == "csv";
  };
  std::vector<std::shared_ptr<const core::Plugin>> doc_writers;
  for (const auto& w : writers) {
    if (!streams(w)) doc_writers.push_back(w);
  }
  const bool streamed = doc_writers.size() < writers.size();
  const std::size_t count = core::sweep_point_count(req);
  if (!doc_writers.empty() && count > core::kMaxDocumentSweepRows) {
    throw InputError("--format " + std::string(doc_writers.front()->info().format) + ": a sweep of " +
                     std::to_string(count) + " points is more than the " + std::to_string(core::kMaxDocumentSweepRows) +
                     " rows a whole-document writer holds in memory; write csv (streamed, any size) or --shard it");
  }
  // A progress bar on stderr when it is a terminal, redrawn at most ~10 times a second.
  auto last_draw = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  if (::isatty(STDERR_FILENO)) {
    req.progress = [&](std::size_t done, std::size_t total) {
      const auto now = std::chrono::steady_clock::now();
      if (done < total && now - last_draw < std::chrono::milliseconds(100)) return;
      last_draw = now;
      const int width = 40;
      const int filled = total == 0 ? width : static_cast<int>(static_cast<double>(done) / total * width);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu points%s", std::string(filled, '#').c_str(),
                   std::string(width - filled, ' ').c_str(), done, total, done == total ? "\n" : "");
      std::fflush(stderr);
    };
  }
  // SIGINT (Ctrl-C) and SIGTERM end the sweep after the current point; the rows done are written (atomically, the
  // handlers staying in place until the files are committed, so a second signal cannot leave temporaries).
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::optional<core::StreamedFile> csv;
  if (streamed) {
    csv.emplace(o.out, "sweep.csv");
    csv->write(core::sweep_csv_header(req));
  }
  std::vector<core::SweepPoint> held;  // only for the whole-document writers (at most kMaxDocumentSweepRows)
  std::string lines;
  std::size_t points = 0, feasible = 0;
  core::run_sweep(req, [&](core::SweepPoint&& p) {
    ++points;
    feasible += p.feasible ? 1 : 0;
    if (csv) {
      core::append_sweep_csv_row(lines, p);
      if (lines.size() >= core::StreamedFile::kBufferBytes / 2) {
        csv->write(lines);
        lines.clear();
      }
    }
    if (!doc_writers.empty()) held.push_back(std::move(p));
  });
  if (req.progress && g_interrupted.load()) std::fputc('\n', stderr);
  const bool interrupted = g_interrupted.load();
  if (csv) {
    if (interrupted) lines += core::kSweepCsvPartialMarker;
    csv->write(lines);
    csv->finish();
  }
  std::vector<mm_output> outputs;
  if (!doc_writers.empty()) {
    const auto doc = core::build_sweep_doc(req, held, interrupted, kToolVersion);
    held = {};
    outputs = render(doc_writers, doc->freeze());
  }
  std::vector<const mm_output*> views;
  for (const auto& out : outputs) views.push_back(&out);
  std::vector<core::StreamedFile*> files;
  if (csv) files.push_back(&*csv);
  core::commit_outputs(o.out, views, files);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::vector<std::string> written;  // in --format order
  for (std::size_t i = 0, d = 0; i < writers.size(); ++i) {
    if (streams(writers[i])) {
      written.push_back((fs::path(o.out) / "sweep.csv").string());
      continue;
    }
    for (const auto& f : outputs[d++].files) written.push_back((fs::path(o.out) / f.first).string());
  }
  std::cout << "sweep of plugin " << req.plugin->name() << ", workload " << o.workload << ": " << points << " points ("
            << feasible << " feasible)" << (interrupted ? ", interrupted" : "") << "\n";
  print_written(written);
  return interrupted ? 128 + (g_signal == SIGTERM ? SIGTERM : SIGINT) : kExitOk;  // 130 or 143
}

int cmd_docs(const GlobalOptions& g, const DocsOptions& o) {
  const auto writers = load_writers(g, split_list(o.formats, "--format"));
  const auto plugin = load_model_plugin(g, o.plugin);
  const auto doc = core::build_docs(*plugin, kToolVersion);
  const auto written = write_outputs(writers, doc->freeze(), o.out);
  print_written(written);
  return kExitOk;
}

int cmd_list(const GlobalOptions& g, const std::string& what, const std::string& plugin) {
  if (what == "plugins" || what == "writers") {
    const bool writers = what == "writers";
    std::set<std::string> seen;
    for (const auto& file : core::plugin_files(search_path(g, writers))) {
      try {
        const auto p = core::Plugin::load(file);
        if ((p->kind() == MM_PLUGIN_WRITER) != writers) continue;
        const std::string dup = seen.count(p->name()) ? "  [shadowed: an earlier path has this name]" : "";
        seen.insert(p->name());
        std::cout << p->name() << "\t" << p->version() << "\tABI " << core::abi_version_text(p->abi_version()) << "\t"
                  << (writers ? std::string("format ") + p->info().format + "\t" : "") << p->path().string() << dup
                  << "\n";
      } catch (const core::PluginLoadError& e) {
        log_warning(e.what());
      }
    }
    return kExitOk;
  }
  if (what == "workloads" || what == "hardware" || what == "models") {
    const char* sub = what == "workloads" ? "workloads" : what == "hardware" ? "hardware" : "models";
    for (const auto& n : bundled_names(configs_dir() / sub, ".toml")) std::cout << n << "\n";
    if (what == "models") {  // Hugging Face config.json models (plugins that declare model.config: hf_decoder)
      for (const auto& n : bundled_names(configs_dir() / sub, ".json")) std::cout << n << " (config.json)\n";
    }
    return kExitOk;
  }
  if (what == "layers") {
    std::cout << "core generic ops:\n";
    for (const mm_layer_class* c : core::op_classes()) {
      std::cout << "  " << c->name << " (" << core::category_name(c->category) << ")\n";
    }
    if (!plugin.empty()) {
      const auto p = load_model_plugin(g, plugin);
      std::cout << "plugin " << p->name() << ":\n";
      for (std::size_t i = 0; i < p->info().class_count; ++i) {
        const mm_layer_class* c = p->info().classes[i];
        std::cout << "  " << c->name << " (" << core::category_name(c->category) << ")\n";
      }
    }
    return kExitOk;
  }
  throw core::Failure(kExitUsage,
                      "unknown list '" + what + "'; choose plugins, workloads, hardware, models, writers, layers");
}

int cmd_describe(const GlobalOptions& g, const DescribeOptions& o) {
  const auto p = load_model_plugin(g, o.plugin);
  std::cout << "plugin: " << p->name() << " " << p->version() << " (ABI " << core::abi_version_text(p->abi_version())
            << ")\n"
            << p->description() << "\npath: " << p->path().string() << "\n";
  print_classes(p->info());
  const core::KeyCatalog catalog = core::catalog_for(*p);
  print_keys(catalog);
  {
    // The module tree with parameter counts (describe_request: the workload, else the declared defaults).
    const core::RunRequest req = describe_request(g, o);
    const core::RunResult r = core::run_model(req);
    const auto params = r.parameters();
    std::cout << "model " << r.model_name << " (workload " << req.inputs.workload_name
              << "): " << (params ? std::to_string(static_cast<long long>(*params)) : "n/a") << " parameters\n";
    for (const auto& s : r.stages) {
      if (s.stage == MM_STAGE_DECODE) continue;
      std::printf("%s stage modules (parameters = per instance x repeat):\n", core::stage_name(s.stage));
      print_tree(s.modules(), 1);
    }
  }
  return kExitOk;
}

int cmd_check_plugin(const std::string& path) {
  const auto p = core::Plugin::load(path);
  const bool model = p->kind() == MM_PLUGIN_MODEL;
  const PluginCheck check = check_plugin(p);  // every problem before any output
  std::cout << "plugin: " << p->name() << " " << p->version() << " (ABI " << core::abi_version_text(p->abi_version())
            << ", " << (model ? "model" : "writer") << ")\n"
            << "path: " << p->path().string() << "\n"
            << "description: " << p->description() << "\n";
  if (model) {
    print_classes(p->info());
    print_keys(core::catalog_for(*p));
    std::cout << "stages built on the default keys: " << join(check.stages) << "\n";
  } else {
    std::cout << "format: " << p->info().format << "\n";
  }
  std::cout << "ok: host ABI " << core::abi_version_text(MM_ABI_VERSION) << " accepts it\n";
  for (const auto& w : check.warnings) log_warning(w);
  return kExitOk;
}

}  // namespace modelmeter::host
