// Serving simulation (docs/serving.md): a discrete-event model of an inference server with continuous batching in
// the style of vLLM, whose iteration times come from a small cost model derived once from the analytic engine.
#pragma once

#include <cstdint>
#include <memory>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/run.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modelmeter::core::serving {

// The plugin's key catalogue plus the [serving] keys (owner "serving"); what `simulate` and `plan` resolve
// workloads with, so serving keys are validated, overridable with --set and listed like any other key.
MM_CORE_API KeyCatalog catalog(const Plugin& plugin);

// The [serving] keys, read from a resolved configuration (docs/serving.md lists each with its default).
struct Settings {
  uint64_t max_num_seqs = 256;
  uint64_t max_num_batched_tokens = 8192;
  bool chunked_prefill = true;
  uint64_t block_size = 16;
  double gpu_memory_utilization = 0.9;
  std::string arrival = "closed";  // closed | poisson | trace
  uint64_t concurrency = 100;      // closed
  double rate = 1;                 // poisson: requests/s
  std::string trace_file;          // trace: CSV arrival_s,prompt_tokens,output_tokens
  uint64_t num_requests = 1000;
  uint64_t output_tokens = 0;         // 0: decode.max_new_tokens
  std::string output_dist = "fixed";  // fixed | uniform (output_tokens × [1 − spread, 1 + spread])
  double output_spread = 0.5;
  uint64_t seed = 0;
  double warmup_fraction = 0.1, cooldown_fraction = 0.1;
  // Host-side costs (seconds).
  double host_iteration_s = 0;  // per iteration: scheduling, input preparation, launch
  double host_sample_s = 0;     // per sequence sampled in an iteration: sampling and logits processors
  double host_page_s = 0;       // per page: image preprocessing, on the CPU before the request is queued
};
// Throws InputError for a combination of keys that cannot be simulated (named keys and values).
MM_CORE_API Settings read_settings(const ResolvedConfig& config);

// y(x) through the points (x ascending), linear between them and beyond the last two.
struct Piecewise {
  std::vector<double> x, y;
  MM_CORE_API double operator()(double at) const;
};

// What one iteration costs, as functions of the iteration's batch (docs/serving.md, "Iteration time"):
//   t = host_iteration + body(T) + lm_head(S) + [any attention] attention_launch + Σ_decode attn_d(context)
//       + Σ_prefill chunks attn_p(q, c0) + prefill_extra_per_token · T_prefill + vision(pages) + host_sample · S
// T = tokens processed, S = sequences that sample a token, pages = pages whose prompt starts in this iteration.
struct CostModel {
  Piecewise body;     // tokens -> s: every op but attention and the LM head (weights read once per iteration)
  Piecewise lm_head;  // sequences sampled -> s
  Piecewise vision;   // pages encoded -> s
  double attention_launch_s = 0;       // per iteration with attention (the calibrated launch latency)
  double decode_attention_s = 0;       // one sequence's decode attention at context decode_context0
  double decode_attention_slope = 0;   // s per context position
  double decode_context0 = 0;          // P + 1
  double prefill_attention_s = 0;      // one sequence's prefill attention over its whole prompt in one chunk
  double prefill_tokens = 0;           // P of the workload (the reference of prefill_attention_s)
  double prefill_extra_per_token = 0;  // prefill-only ops (e.g. merging vision embeddings), per prefill token
  uint64_t pages_per_request = 0;      // 1 where the model has a vision stage (a request is a page)
  double kv_bytes_per_token = 0;
  double weights_bytes = 0, capacity_bytes = 0;
  Piecewise activation;                           // tokens -> peak live bytes of one iteration (vLLM's profiling run)
  double vision_live_bytes = 0;                   // one page's encoding
  double activation_bytes = 0;                    // at max_num_batched_tokens (set with kv_blocks by size_kv_cache)
  uint64_t kv_blocks = 0;                         // KV cache capacity in blocks of Settings::block_size
  uint64_t prompt_tokens = 0, output_tokens = 0;  // the workload's request
  std::string time_model;                         // "roofline" or "calibrated:<name>"

  double decode_attention(double context) const {
    return decode_attention_s + decode_attention_slope * (context - decode_context0);
  }
  double prefill_attention(double q, double c0) const {
    const double ref = prefill_tokens * (prefill_tokens + 1) / 2;
    return ref <= 0 ? 0 : prefill_attention_s * (q * c0 + q * (q + 1) / 2) / ref;
  }
};

// Derives the cost model from the engine once (docs/serving.md, "Deriving the cost model"): the workload's
// request evaluated alone (batch 1), and one decode step at each batch size of a grid up to
// max(max_num_batched_tokens, max_num_seqs). `single` (optional) receives the batch-1 run of the workload.
// `extra_grid`: more batch sizes to evaluate exactly (plan adds every max_num_batched_tokens it tries).
MM_CORE_API CostModel derive_cost_model(const std::shared_ptr<const Plugin>& plugin, const ResolvedConfig& config,
                                        const Hardware& hardware, const Settings& settings, RunResult* single = nullptr,
                                        const std::vector<uint64_t>& extra_grid = {});

// Sets model.activation_bytes and model.kv_blocks for these scheduler settings: the blocks of settings.block_size
// that fit in capacity x gpu_memory_utilization - weights - max(activations at max_num_batched_tokens, one page's
// encoding). 0 when nothing is left.
MM_CORE_API void size_kv_cache(CostModel& model, const Settings& settings);

// One request of the simulation.
struct Request {
  double arrival_s = 0;
  uint64_t prompt_tokens = 0, output_tokens = 0, pages = 0;
};

struct Percentiles {
  double mean = 0, p50 = 0, p90 = 0, p99 = 0;
};

struct TimelinePoint {
  double t_s = 0;
  uint64_t batch = 0;      // sequences in the iteration
  uint64_t kv_blocks = 0;  // blocks in use
};

struct Result {
  uint64_t requests = 0, measured = 0, warmup = 0, cooldown = 0;
  double window_start_s = 0, window_end_s = 0, duration_s = 0;  // the whole run: first arrival to last completion
  double requests_per_s = 0, output_tokens_per_s = 0, total_tokens_per_s = 0;
  std::optional<double> pages_per_day;
  Percentiles ttft_s, tpot_s, itl_s, e2e_s;
  double mean_in_system = 0;  // time average of requests arrived and not finished, over the window
  double mean_batch = 0;      // sequences per iteration, over the window
  uint64_t max_batch = 0, max_kv_blocks = 0;
  double mean_kv_use = 0;  // fraction of blocks in use, time-weighted over the window
  uint64_t preemptions = 0, iterations = 0;
  // Where the window's time went, by term of the cost model (seconds summed over iterations).
  double t_body = 0, t_lm_head = 0, t_attention = 0, t_vision = 0, t_prefill_extra = 0, t_host = 0;
  std::vector<TimelinePoint> timeline;      // at most ~400 points, evenly spaced iterations
  std::vector<double> ttft_each, e2e_each;  // measured requests, in completion order
};

// The requests of an open-loop run (poisson or trace), or the lengths of a closed-loop run (arrival times 0:
// a closed loop sets them as slots free). Deterministic for settings.seed.
MM_CORE_API std::vector<Request> make_requests(const Settings& settings, const CostModel& model);

// Runs the simulation. Throws InputError when a request can never be scheduled (its prompt needs more KV blocks
// than the cache holds, or more tokens than max_num_batched_tokens without chunked prefill).
MM_CORE_API Result simulate(const CostModel& model, const Settings& settings, const std::vector<Request>& requests);

// Adds the `serving` object (docs/report-schema.md) under the document's root.
MM_CORE_API void add_serving(DocTree& tree, DocTree::Node* root, const Settings& settings, const CostModel& model,
                             const Result& result);

}  // namespace modelmeter::core::serving
