// modelmeter: the command line (CLI11). Exit codes: core/include/modelmeter/core/exit_codes.hpp, docs/cli.md.
#include <modelmeter/abi.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <modelmeter/core/errors.hpp>

#include "commands.hpp"
#include "install_layout.hpp"
#include "log.hpp"

using namespace modelmeter;
using namespace modelmeter::host;

namespace modelmeter::host {
namespace {
std::vector<char*> g_command_line;
}  // namespace
const std::vector<char*>& command_line() {
  return g_command_line;
}
}  // namespace modelmeter::host

int main(int argc, char** argv) {
  modelmeter::host::g_command_line.assign(argv, argv + argc);
  CLI::App app{"modelmeter: analytic FLOPs, memory traffic, memory and roofline time of neural networks"};
  app.set_version_flag("--version", std::string("modelmeter ") + kToolVersion + " (plugin ABI " +
                                        std::to_string(MM_ABI_VERSION_MAJOR) + "." +
                                        std::to_string(MM_ABI_VERSION_MINOR) + ")");
  app.require_subcommand(1);
  app.fallthrough();  // subcommands inherit it: global options (--plugin-dir, -v, -q) may follow the subcommand too
  GlobalOptions global;
  bool verbose = false, quiet = false;
  std::vector<std::string> plugin_dirs;
  app.add_option("--plugin-dir", plugin_dirs, "extra folder searched for plugins first (repeatable)");
  app.add_flag("-v,--verbose", verbose, "log debug detail to stderr");
  app.add_flag("-q,--quiet", quiet, "log errors only");
  app.footer(
      "Exit codes: 0 ok, 1 internal error, 2 bad command line, 3 invalid input (workload/hardware/model/--set), "
      "4 plugin could not be loaded, 5 plugin failed, 6 report could not be written, 130 sweep interrupted (rows "
      "done are written).");

  RunOptions run;
  CLI::App* run_cmd = app.add_subcommand("run", "evaluate a model plugin on a workload and write the report");
  run_cmd->add_option("--plugin", run.plugin, "model plugin: registered name or path to a .so")->required();
  run_cmd->add_option("--workload", run.workload, "bundled workload name or path to a .toml")->required();
  run_cmd->add_option("--model", run.model, "bundled model config name or path (default: the plugin's)");
  run_cmd->add_option("--hardware", run.hardware, "bundled hardware name or path to a .toml")->capture_default_str();
  run_cmd->add_option("--calibration", run.calibration,
                      "calibrated time: bundled name, path to a .toml, or none (default: the hardware's bundled "
                      "calibration when one exists, else the roofline)");
  run_cmd->add_option("--set", run.sets, "override a workload key: section.key=value (TOML value; repeatable)");
  run_cmd->add_option("--format", run.formats, "comma-separated writers")->capture_default_str();
  run_cmd->add_option("--out", run.out, "output folder")->capture_default_str();

  RunOptions sim;
  CLI::App* sim_cmd = app.add_subcommand(
      "simulate", "simulate serving the workload under load (its [serving] section; docs/serving.md)");
  sim_cmd->add_option("--plugin", sim.plugin, "model plugin: registered name or path to a .so")->required();
  sim_cmd->add_option("--workload", sim.workload, "bundled workload name or path to a .toml")->required();
  sim_cmd->add_option("--model", sim.model, "bundled model config name or path (default: the plugin's)");
  sim_cmd->add_option("--hardware", sim.hardware, "bundled hardware name or path to a .toml")->capture_default_str();
  sim_cmd->add_option("--calibration", sim.calibration,
                      "calibrated time: bundled name, path to a .toml, or none (default: the hardware's bundled "
                      "calibration when one exists, else the roofline)");
  sim_cmd->add_option("--set", sim.sets, "override a workload key, serving.* included (repeatable)");
  std::vector<std::string> sim_vary;
  sim_cmd->add_option("--vary", sim_vary,
                      "simulate every combination: key=start:stop:step or key=a,b,c (repeatable; rows to sweep.csv)");
  sim_cmd->add_option("--format", sim.formats, "comma-separated writers")->capture_default_str();
  sim_cmd->add_option("--out", sim.out, "output folder")->capture_default_str();

  PlanOptions plan;
  CLI::App* plan_cmd = app.add_subcommand(
      "plan", "search hardware x GPUs x layout x batch limits for the best throughput per GPU under an SLA");
  plan_cmd->add_option("--plugin", plan.plugin, "model plugin: registered name or path to a .so")->required();
  plan_cmd->add_option("--workload", plan.workload, "workload with a [serving] section")->required();
  plan_cmd->add_option("--model", plan.model, "bundled model config name or path (default: the plugin's)");
  plan_cmd->add_option("--hardware", plan.hardware, "hardware names, comma-separated")->capture_default_str();
  plan_cmd->add_option("--calibration", plan.calibration,
                       "calibrated time for every hardware: bundled name, path, or none (default: each hardware's)");
  plan_cmd->add_option("--set", plan.sets, "override a workload key for every candidate (repeatable)");
  plan_cmd->add_option("--gpus", plan.gpus, "GPU counts, comma-separated")->capture_default_str();
  plan_cmd->add_option("--max-num-seqs", plan.max_num_seqs, "serving.max_num_seqs values")->capture_default_str();
  plan_cmd->add_option("--max-num-batched-tokens", plan.max_num_batched_tokens, "serving.max_num_batched_tokens values")
      ->capture_default_str();
  plan_cmd->add_option("--ttft-p99", plan.ttft_p99, "SLA: p99 TTFT in seconds (0: none)")->capture_default_str();
  plan_cmd->add_option("--tpot-p99", plan.tpot_p99, "SLA: p99 TPOT in seconds (0: none)")->capture_default_str();
  plan_cmd->add_option("--requests", plan.requests, "requests simulated per candidate")->capture_default_str();
  plan_cmd->add_option("--price", plan.prices,
                       "US dollars per GPU-hour, HW=USD comma-separated (overrides the profiles' [price])");
  plan_cmd->add_option("--rank-by", plan.rank_by, "order of the candidates that meet the SLA: throughput | cost")
      ->capture_default_str();
  plan_cmd->add_option("--threads", plan.threads, "worker threads; 0 = one per core")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1024u));
  plan_cmd->add_option("--format", plan.formats, "comma-separated writers")->capture_default_str();
  plan_cmd->add_option("--out", plan.out, "output folder")->capture_default_str();

  CalibrateOptions calibrate;
  CLI::App* calibrate_cmd =
      app.add_subcommand("calibrate", "fit the kernel time model to measured kernel times; write a calibration file");
  calibrate_cmd->add_option("--hardware", calibrate.hardware, "hardware profile the rows were measured on")->required();
  calibrate_cmd->add_option("--measured", calibrate.measured, "measurements CSV (repeatable; docs/calibration.md)");
  calibrate_cmd->add_option("--from", calibrate.from,
                            "derive from this calibration (same chip and SM count) instead of fitting");
  calibrate_cmd->add_option("--out", calibrate.out, "calibration file to write (.toml)")->required();

  ValidateOptions validate;
  CLI::App* validate_cmd = app.add_subcommand(
      "validate", "predict measured kernel times; print the error by hardware x op, calibrated and roofline");
  validate_cmd->add_option("--measured", validate.measured, "measurements CSV (repeatable)")->required();
  validate_cmd->add_option("--hardware", validate.hardware, "keep only this hardware profile's rows");
  validate_cmd->add_option("--calibration", validate.calibration,
                           "bundled name, path to a .toml, or none (default: each row's bundled calibration)");
  validate_cmd->add_option("--json", validate.json, "also write the errors as JSON to this file");
  validate_cmd
      ->add_option("--cross-validate", validate.cross_validate,
                   "fit on 3 of 4 folds and predict the 4th, for each fold: hold out token ranges or whole shapes")
      ->check(CLI::IsMember({"tokens", "shapes"}));

  SweepOptions sweep;
  CLI::App* sweep_cmd = app.add_subcommand("sweep", "evaluate the product of --vary values; rows to sweep.csv");
  sweep_cmd->add_option("--plugin", sweep.plugin, "model plugin: registered name or path to a .so")->required();
  sweep_cmd->add_option("--workload", sweep.workload, "bundled workload name or path to a .toml")->required();
  sweep_cmd->add_option("--model", sweep.model, "bundled model config name or path (default: the plugin's)");
  sweep_cmd->add_option("--vary", sweep.vary, "key=start:stop:step (inclusive) or key=a,b,c (repeatable)")->required();
  sweep_cmd->add_option("--hardware", sweep.hardware, "hardware name(s), comma-separated")->capture_default_str();
  sweep_cmd->add_option("--calibration", sweep.calibration,
                        "calibrated time for every hardware: bundled name, path, or none (default: each hardware's "
                        "bundled calibration when one exists)");
  sweep_cmd->add_option("--set", sweep.sets, "override a workload key for every point (repeatable)");
  sweep_cmd->add_option("--format", sweep.formats, "comma-separated writers")->capture_default_str();
  sweep_cmd->add_option("--out", sweep.out, "output folder")->capture_default_str();
  sweep_cmd->add_option("--shard", sweep.shard,
                        "K/N: evaluate only the K-th of N contiguous blocks of points (their sweep.csv files "
                        "concatenate, header once, to the whole sweep's)");
  sweep_cmd->add_option("--threads", sweep.threads, "worker threads; 0 = one per core (rows are in order either way)")
      ->capture_default_str()
      ->check(CLI::Range(0u, 1024u));

  DocsOptions docs;
  CLI::App* docs_cmd = app.add_subcommand("docs", "write one Markdown page per layer class (formulas, assumptions)");
  docs_cmd->add_option("--plugin", docs.plugin, "model plugin: registered name or path to a .so")->required();
  docs_cmd->add_option("--format", docs.formats, "writer for the pages")->capture_default_str();
  docs_cmd->add_option("--out", docs.out, "output folder")->capture_default_str();

  std::string list_what, list_plugin;
  CLI::App* list_cmd = app.add_subcommand("list", "list plugins, workloads, hardware, models, writers or layers");
  list_cmd->add_option("what", list_what, "plugins | workloads | hardware | models | writers | layers")
      ->required()
      ->check(CLI::IsMember({"plugins", "workloads", "hardware", "models", "writers", "layers"}));
  list_cmd->add_option("--plugin", list_plugin, "with 'layers': also the plugin's layer classes");

  DescribeOptions describe;
  CLI::App* describe_cmd = app.add_subcommand("describe", "show a plugin's layer classes, keys and parameter counts");
  describe_cmd->add_option("--plugin", describe.plugin, "model plugin: name or path")->required();
  describe_cmd->add_option("--workload", describe.workload, "also print the module tree with parameter counts");
  describe_cmd->add_option("--model", describe.model, "bundled model config name or path");
  describe_cmd->add_option("--set", describe.sets, "override a workload key (repeatable)");

  std::string check_path;
  CLI::App* check_cmd = app.add_subcommand("check-plugin", "load a plugin file, check its ABI, list what it registers");
  check_cmd->add_option("path", check_path, "path to the plugin .so")->required();

  ServeOptions serve;
  CLI::App* serve_cmd =
      app.add_subcommand("serve", "HTTP API for runs (docs/openapi.yaml) and a page to use it from a browser at /");
  serve_cmd->add_option("--host", serve.host, "address to listen on")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "TCP port (0: any free port, printed at start)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve_cmd->add_option("--threads", serve.threads, "worker threads (0: max(8, 2 x cores))")
      ->capture_default_str()
      ->check(CLI::Range(0, kMaxServeThreads));
  serve_cmd->add_option("--max-runs", serve.max_runs, "runs kept in memory; the oldest is evicted beyond")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, kMaxServeRuns));
  serve_cmd
      ->add_option("--cache", serve.cache,
                   "results of POST /v1/runs kept by request body (also at most 32 MiB; 0: no cache)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{0}, kMaxServeCache));
  serve_cmd
      ->add_option("--timeout", serve.timeout_s, "seconds to receive a request's headers, its body, or send a response")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0));
  serve_cmd->add_option("--allow-host", serve.allow_hosts,
                        "a Host name answered besides IP literals and localhost (repeatable; for a proxy or DNS name)");
  serve_cmd->fallthrough();  // `serve --plugin-dir DIR` as well as `--plugin-dir DIR serve`

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    init_logging(Verbosity::Normal);
    log_error(std::string(e.what()) + " (see 'modelmeter --help')");
    return kExitUsage;
  }
  init_logging(quiet ? Verbosity::Quiet : verbose ? Verbosity::Verbose : Verbosity::Normal);
  for (const auto& d : plugin_dirs) global.plugin_dirs.emplace_back(d);

  try {
    if (*run_cmd) return cmd_run(global, run);
    if (*sweep_cmd) return cmd_sweep(global, sweep);
    if (*sim_cmd) return cmd_simulate(global, sim, sim_vary);
    if (*plan_cmd) return cmd_plan(global, plan);
    if (*calibrate_cmd) return cmd_calibrate(calibrate);
    if (*validate_cmd) return cmd_validate(validate);
    if (*docs_cmd) return cmd_docs(global, docs);
    if (*list_cmd) return cmd_list(global, list_what, list_plugin);
    if (*describe_cmd) return cmd_describe(global, describe);
    if (*check_cmd) return cmd_check_plugin(check_path);
    if (*serve_cmd) return cmd_serve(global, serve);
  } catch (const core::Failure& e) {
    log_error(e.what());
    return e.code();
  } catch (const std::exception& e) {
    log_error(std::string("internal error: ") + e.what());
    return kExitInternal;
  }
  return kExitUsage;
}
