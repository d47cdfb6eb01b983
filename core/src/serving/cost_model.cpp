// The [serving] keys and the iteration cost model derived from the analytic engine (docs/serving.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/serving.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

namespace modelmeter::core::serving {

namespace {

namespace sdk = modelmeter;

// Host-cost defaults: measured on this project's machine, see docs/serving.md ("Host-side costs").
const mm_key_decl kServingKeys[] = {
    sdk::key_int("serving.max_num_seqs", "256", 1, 1 << 16, "most sequences in one iteration (vLLM max_num_seqs)"),
    sdk::key_int("serving.max_num_batched_tokens", "8192", 1, 1 << 20,
                 "most tokens in one iteration (vLLM max_num_batched_tokens)"),
    sdk::key_bool("serving.chunked_prefill", "true", "split long prompts over iterations, mixed with decodes"),
    sdk::key_int("serving.block_size", "16", 1, 1024, "tokens per KV-cache block"),
    sdk::key_float("serving.gpu_memory_utilization", "0.9", 0.01, 1,
                   "fraction of GPU memory for weights, activations and KV cache"),
    sdk::key_string("serving.arrival", "\"closed\"", "closed|poisson|trace",
                    "closed: fixed concurrency; poisson: open loop at serving.rate; trace: serving.trace_file"),
    sdk::key_int("serving.concurrency", "100", 1, 1 << 20, "closed loop: requests in flight"),
    sdk::key_float("serving.rate", "1", 1e-9, 1e9, "poisson: mean arrivals per second"),
    sdk::key_string("serving.trace_file", "\"\"", nullptr,
                    "trace: CSV with columns arrival_s,prompt_tokens,output_tokens"),
    sdk::key_int("serving.num_requests", "1000", 1, 1e8, "requests simulated (closed and poisson)"),
    sdk::key_int("serving.output_tokens", "0", 0, 1e9, "output tokens per request (0: decode.max_new_tokens)"),
    sdk::key_string("serving.output_dist", "\"fixed\"", "fixed|uniform",
                    "output lengths: fixed, or uniform in output_tokens x [1 - spread, 1 + spread]"),
    sdk::key_float("serving.output_spread", "0.5", 0, 1, "uniform: relative half-width of the output length"),
    sdk::key_int("serving.seed", "0", 0, 9.0e15, "random seed (arrivals and lengths)"),
    sdk::key_float("serving.warmup_fraction", "0.1", 0, 0.49, "first completions left out of the metrics"),
    sdk::key_float("serving.cooldown_fraction", "0.1", 0, 0.49, "last completions left out of the metrics"),
    sdk::key_float("serving.host_iteration_s", "0.004", 0, 1,
                   "host time per iteration (scheduling, input preparation, output processing), s"),
    sdk::key_float("serving.host_sample_s", "0", 0, 1,
                   "host time per sampled sequence per iteration (a Python logits processor), s"),
    sdk::key_float("serving.host_page_s", "0.377", 0, 100, "CPU preprocessing per page before queueing, s"),
};

const Value& get(const ResolvedConfig& c, const char* key) {
  const auto it = c.settings.find(key);
  if (it == c.settings.end()) throw InputError(std::string("serving key '") + key + "' is not set");
  return it->second.value;
}

void set_int(ResolvedConfig& c, const char* key, uint64_t v) {
  auto& s = c.settings[key];
  s.value.type = MM_VALUE_INT;
  s.value.integer = static_cast<int64_t>(v);
  s.value.number = static_cast<double>(v);
  s.source = "serving";
}

// The time of one component (by report component name, "LM head"), 0 when the model has none.
double component_time(const StageResult& s, std::string_view name) {
  for (const auto& c : s.components) {
    std::string lower;
    for (char ch : c.name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == name) return c.time.time_s;
  }
  return 0;
}

double attention_time(const StageResult& s) {
  return s.categories[MM_CATEGORY_ATTENTION].time.time_s;
}

}  // namespace

KeyCatalog catalog(const Plugin& plugin) {
  KeyCatalog c = plugin.catalog();
  std::vector<const mm_key_decl*> ptrs;
  for (const auto& k : kServingKeys) ptrs.push_back(&k);
  c.add_plugin_keys("serving", ptrs.data(), ptrs.size());
  return c;
}

Settings read_settings(const ResolvedConfig& c) {
  Settings s;
  auto u = [&](const char* k) { return static_cast<uint64_t>(get(c, k).integer); };
  s.max_num_seqs = u("serving.max_num_seqs");
  s.max_num_batched_tokens = u("serving.max_num_batched_tokens");
  s.chunked_prefill = get(c, "serving.chunked_prefill").boolean;
  s.block_size = u("serving.block_size");
  s.gpu_memory_utilization = get(c, "serving.gpu_memory_utilization").number;
  s.arrival = get(c, "serving.arrival").string;
  s.concurrency = u("serving.concurrency");
  s.rate = get(c, "serving.rate").number;
  s.trace_file = get(c, "serving.trace_file").string;
  s.num_requests = u("serving.num_requests");
  s.output_tokens = u("serving.output_tokens");
  s.output_dist = get(c, "serving.output_dist").string;
  s.output_spread = get(c, "serving.output_spread").number;
  s.seed = u("serving.seed");
  s.warmup_fraction = get(c, "serving.warmup_fraction").number;
  s.cooldown_fraction = get(c, "serving.cooldown_fraction").number;
  s.host_iteration_s = get(c, "serving.host_iteration_s").number;
  s.host_sample_s = get(c, "serving.host_sample_s").number;
  s.host_page_s = get(c, "serving.host_page_s").number;
  if (s.arrival == "trace" && s.trace_file.empty()) {
    throw InputError(
        "key 'serving.arrival' = \"trace\" needs serving.trace_file (a CSV of arrival_s,prompt_tokens,"
        "output_tokens)");
  }
  if (s.arrival != "trace" && !s.trace_file.empty()) {
    throw InputError("key 'serving.trace_file' = \"" + s.trace_file +
                     "\" is only read with serving.arrival = \"trace\"");
  }
  if (s.max_num_batched_tokens < s.max_num_seqs) {
    throw InputError("key 'serving.max_num_batched_tokens' = " + std::to_string(s.max_num_batched_tokens) +
                     " is not allowed: expected at least serving.max_num_seqs = " + std::to_string(s.max_num_seqs));
  }
  return s;
}

double Piecewise::operator()(double at) const {
  if (x.empty()) return 0;
  if (x.size() == 1) return y[0];
  auto it = std::upper_bound(x.begin(), x.end(), at);
  std::size_t i = it == x.begin() ? 0 : static_cast<std::size_t>(it - x.begin()) - 1;
  if (i + 1 >= x.size()) i = x.size() - 2;
  if (at == x[i]) return y[i];
  return y[i] + (y[i + 1] - y[i]) * (at - x[i]) / (x[i + 1] - x[i]);
}

void size_kv_cache(CostModel& m, const Settings& settings) {
  m.activation_bytes =
      std::max(m.activation(static_cast<double>(settings.max_num_batched_tokens)), m.vision_live_bytes);
  const double free_bytes = m.capacity_bytes * settings.gpu_memory_utilization - m.weights_bytes - m.activation_bytes;
  const double block_bytes = m.kv_bytes_per_token * static_cast<double>(settings.block_size);
  m.kv_blocks = free_bytes > 0 && block_bytes > 0 ? static_cast<uint64_t>(std::floor(free_bytes / block_bytes)) : 0;
}

CostModel derive_cost_model(const std::shared_ptr<const Plugin>& plugin, const ResolvedConfig& config,
                            const Hardware& hardware, const Settings& settings, RunResult* single,
                            const std::vector<uint64_t>& extra_grid) {
  CostModel m;
  if (const auto t = config.settings.find(std::string_view(kTaskKey));
      t != config.settings.end() && t->second.value.string != "generate") {
    throw InputError(
        "task '" + t->second.value.string +
        "' is modeled by 'modelmeter run' only; simulate and plan model serving of generation (task.kind = "
        "\"generate\")");
  }
  const uint64_t workload_n = static_cast<uint64_t>(get(config, "decode.max_new_tokens").integer);

  // 1. The workload's request alone: batch 1, its own decode length (at least 3 steps' worth, for the slope).
  ResolvedConfig one = config;
  set_int(one, "batch.size", 1);
  RunResult alone = evaluate_run(prepare_run(plugin, one), hardware);
  const StageResult* prefill = alone.stage(MM_STAGE_PREFILL);
  const StageResult* decode = alone.stage(MM_STAGE_DECODE);
  if (prefill == nullptr) throw InputError("simulate: model '" + alone.model_name + "' has no prefill stage");
  m.time_model = alone.time_model();
  m.prompt_tokens = alone.plan.prefill_tokens;
  m.output_tokens = settings.output_tokens > 0 ? settings.output_tokens : workload_n;
  m.prefill_tokens = static_cast<double>(alone.plan.prefill_tokens);
  m.decode_context0 = m.prefill_tokens + 1;
  m.pages_per_request = alone.stage(MM_STAGE_VISION) != nullptr ? 1 : 0;
  m.weights_bytes = alone.weights_bytes().value_or(0);
  m.capacity_bytes = hardware.capacity;
  if (decode != nullptr && decode->first_step && decode->last_step && decode->steps >= 2) {
    m.decode_attention_slope =
        (decode->last_step->time.time_s - decode->first_step->time.time_s) / static_cast<double>(decode->steps - 1);
  } else {
    ResolvedConfig three = one;
    set_int(three, "decode.max_new_tokens", 3);
    const RunResult r3 = evaluate_run(prepare_run(plugin, three), hardware);
    const StageResult* d3 = r3.stage(MM_STAGE_DECODE);
    if (d3 == nullptr || !d3->first_step || !d3->last_step) {
      throw InputError("simulate: model '" + alone.model_name + "' has no decode stage");
    }
    m.decode_attention_slope = d3->last_step->time.time_s - d3->first_step->time.time_s;
  }

  // 2. One decode step (N = 2) at each batch size of a grid: body, LM head and vision per batch.
  uint64_t top = std::max<uint64_t>({settings.max_num_batched_tokens, settings.max_num_seqs, 2});
  for (uint64_t b : extra_grid) top = std::max(top, b);
  std::vector<uint64_t> grid;
  for (double b = 1; b < static_cast<double>(top); b *= std::sqrt(2.0)) grid.push_back(static_cast<uint64_t>(b));
  grid.push_back(top);
  grid.push_back(std::max<uint64_t>(alone.plan.prefill_tokens, 1));
  grid.push_back(settings.max_num_batched_tokens);
  for (uint64_t b : extra_grid) grid.push_back(std::max<uint64_t>(b, 1));
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  ResolvedConfig step = config;
  set_int(step, "decode.max_new_tokens", 2);
  double a1 = 0, a2 = 0;
  for (uint64_t b : grid) {
    set_int(step, "batch.size", b);
    const RunResult r = evaluate_run(prepare_run(plugin, step), hardware);
    const StageResult* d = r.stage(MM_STAGE_DECODE);
    if (d == nullptr) throw InputError("simulate: model '" + r.model_name + "' has no decode stage");
    const double lm = component_time(*d, "lm head");
    const double attn = attention_time(*d);
    const double bx = static_cast<double>(b);
    m.body.x.push_back(bx);
    m.body.y.push_back(d->time.time_s - attn - lm);
    m.lm_head.x.push_back(bx);
    m.lm_head.y.push_back(lm);
    if (const StageResult* v = r.stage(MM_STAGE_VISION)) {
      m.vision.x.push_back(bx);
      m.vision.y.push_back(v->time.time_s);
    }
    if (b == 1) {
      a1 = attn;
      if (const auto kv = r.kv_cache_bytes()) m.kv_bytes_per_token = *kv / (m.prefill_tokens + 1);
    }
    if (b == 2) a2 = attn;
    // vLLM's profiling run: the activations of one iteration of b tokens (and one page's encoding, below).
    m.activation.x.push_back(bx);
    m.activation.y.push_back(d->forward[MM_METRIC_LIVE_BYTES].value_or(0));
  }
  // Attention of b sequences = one launch latency per attention op + b × each sequence's roofline.
  m.attention_launch_s = std::max(0.0, 2 * a1 - a2);
  m.decode_attention_s = a1 - m.attention_launch_s;

  // 3. Prefill: attention over the whole prompt, and what prefill runs besides the body of P tokens.
  m.prefill_attention_s = attention_time(*prefill) - m.attention_launch_s;
  const double prefill_rest = prefill->time.time_s - attention_time(*prefill) - component_time(*prefill, "lm head");
  m.prefill_extra_per_token = m.prefill_tokens > 0 ? (prefill_rest - m.body(m.prefill_tokens)) / m.prefill_tokens : 0;

  // 4. KV cache: what is left at gpu_memory_utilization after weights and one iteration's activations.
  if (const StageResult* v = alone.stage(MM_STAGE_VISION)) {
    m.vision_live_bytes = v->forward[MM_METRIC_LIVE_BYTES].value_or(0);
  }
  size_kv_cache(m, settings);
  if (m.kv_blocks == 0) {
    throw InputError("simulate: no memory left for the KV cache on " + hardware.id + ": " +
                     std::to_string(hardware.capacity * settings.gpu_memory_utilization / 1e9) +
                     " GB usable, weights " + std::to_string(m.weights_bytes / 1e9) + " GB, activations " +
                     std::to_string(m.activation_bytes / 1e9) + " GB");
  }
  if (single != nullptr) *single = std::move(alone);
  return m;
}

}  // namespace modelmeter::core::serving
