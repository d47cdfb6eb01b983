// The host's commands (everything except command-line parsing, which lives in main.cpp).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace modelmeter::host {

struct GlobalOptions {
  std::vector<std::filesystem::path> plugin_dirs;
};

struct RunOptions {
  std::string plugin;
  std::string workload;
  std::string model;  // empty: the plugin's default model
  std::string hardware = "h100-sxm";
  std::string calibration;  // empty: the hardware's bundled calibration when one exists; "none"; a name or path
  std::vector<std::string> sets;
  std::string formats = "json,md";
  std::string out = "modelmeter-out";
};

struct DescribeOptions {
  std::string plugin;
  std::string workload;  // optional: also print the module tree with parameter counts
  std::string model;
  std::vector<std::string> sets;
};

struct SweepOptions {
  std::string plugin;
  std::string workload;
  std::string model;
  std::string hardware = "h100-sxm";  // comma-separated: a list varies the hardware too
  std::string calibration;            // as RunOptions::calibration, for every hardware profile
  std::vector<std::string> sets;
  std::vector<std::string> vary;
  std::string formats = "csv";
  std::string out = "modelmeter-out";
  std::string shard;     // "K/N": evaluate only block K of N
  unsigned threads = 0;  // 0: one per core
};

struct PlanOptions {
  std::string plugin;
  std::string workload;
  std::string model;
  std::string hardware = "a100-40g,a100-80g,h100-sxm,h200,l40s";  // comma-separated
  std::string calibration;
  std::vector<std::string> sets;
  std::string gpus = "1,2,4,8";                     // GPU counts
  std::string max_num_seqs = "8,16,32,64,128,256";  // serving.max_num_seqs values
  std::string max_num_batched_tokens = "2048,4096,8192,16384";
  double ttft_p99 = 0;                 // s; 0: no bound
  double tpot_p99 = 0;                 // s; 0: no bound
  uint64_t requests = 1000;            // simulated per candidate
  unsigned threads = 0;                // 0: one per core
  std::string prices;                  // "HW=USD,..." per GPU-hour, overriding the profiles' [price]
  std::string rank_by = "throughput";  // throughput | cost
  std::string formats = "csv,md";
  std::string out = "modelmeter-out";
};

struct DocsOptions {
  std::string plugin;
  std::string formats = "md";
  std::string out = "modelmeter-docs";
};

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8470;  // 0: any free port (the one chosen is printed)
  int threads = 0;  // 0: the default, max(8, 2 x cores)
  std::size_t max_runs = 1000;
  std::size_t cache = 1024;              // results of POST /v1/runs kept by request body; 0: no cache
  double timeout_s = 5;                  // read/write timeout of a connection
  std::vector<std::string> allow_hosts;  // Host names answered besides IP literals and localhost
};
inline constexpr int kMaxServeThreads = 256;
inline constexpr std::size_t kMaxServeRuns = 1000000;
inline constexpr std::size_t kMaxServeCache = 100000;

struct CalibrateOptions {
  std::string hardware;
  std::vector<std::string> measured;
  std::string from;  // derive from this calibration (same chip) instead of fitting
  std::string out;
};

struct ValidateOptions {
  std::vector<std::string> measured;
  std::string hardware;     // keep only this profile's rows
  std::string calibration;  // empty: each row's bundled calibration; "none": the roofline; a name or path
  std::string json;
  std::string cross_validate;  // "tokens" or "shapes": fit on the other folds, predict each held-out fold
};

int cmd_run(const GlobalOptions& g, const RunOptions& o);
// serving_commands.cpp (docs/serving.md): the serving simulation of the workload's [serving] section; with
// `vary` (key=start:stop:step or key=a,b,c, as sweep's --vary), one simulation per combination, as sweep rows.
int cmd_simulate(const GlobalOptions& g, const RunOptions& o, const std::vector<std::string>& vary = {});
// The search of hardware x GPU count x layout x batch limits under an SLA (plan.csv / plan.md / plan.json).
int cmd_plan(const GlobalOptions& g, const PlanOptions& o);
// calibration_commands.cpp
int cmd_calibrate(const CalibrateOptions& o);
int cmd_validate(const ValidateOptions& o);
// Ctrl-C (SIGINT) or SIGTERM ends the sweep after the current point; the rows done are written and the exit code is
// 130 (SIGINT) or 143 (SIGTERM).
int cmd_sweep(const GlobalOptions& g, const SweepOptions& o);
int cmd_docs(const GlobalOptions& g, const DocsOptions& o);
int cmd_list(const GlobalOptions& g, const std::string& what, const std::string& plugin);
int cmd_describe(const GlobalOptions& g, const DescribeOptions& o);
int cmd_check_plugin(const std::string& path);
// Runs the HTTP service (serve.cpp, in the `modelmeter-serve` executable) until SIGTERM or SIGINT; then exit
// code 0. In `modelmeter` itself (serve_exec.cpp) it hands the command line to `modelmeter-serve`.
int cmd_serve(const GlobalOptions& g, const ServeOptions& o);
// The process's argv as main received it (main.cpp).
const std::vector<char*>& command_line();

}  // namespace modelmeter::host
