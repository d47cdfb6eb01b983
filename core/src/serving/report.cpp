// The report's `serving` object (docs/report-schema.md, "serving").
#include <algorithm>
#include <cmath>
#include <modelmeter/core/serving.hpp>

namespace modelmeter::core::serving {

namespace {

void percentiles(DocTree& t, DocTree::Node* parent, const char* key, const Percentiles& p) {
  DocTree::Node* o = t.object(parent, key);
  t.set(o, "mean", p.mean);
  t.set(o, "p50", p.p50);
  t.set(o, "p90", p.p90);
  t.set(o, "p99", p.p99);
}

}  // namespace

void add_serving(DocTree& t, DocTree::Node* root, const Settings& s, const CostModel& m, const Result& r) {
  DocTree::Node* sv = t.object(root, "serving");
  t.set(sv, "time_model", m.time_model);
  t.set(sv, "time_model_note",
        m.time_model == "roofline"
            ? "no calibration applies: every serving figure is a roofline bound (an upper bound on throughput, a "
              "lower bound on latency)"
            : "iteration times are the calibrated kernel model's (docs/calibration.md); attention is uncalibrated");

  DocTree::Node* sch = t.object(sv, "scheduler");
  t.set_int(sch, "max_num_seqs", static_cast<int64_t>(s.max_num_seqs));
  t.set_int(sch, "max_num_batched_tokens", static_cast<int64_t>(s.max_num_batched_tokens));
  t.set(sch, "chunked_prefill", s.chunked_prefill);
  t.set_int(sch, "block_size", static_cast<int64_t>(s.block_size));
  t.set(sch, "gpu_memory_utilization", s.gpu_memory_utilization);

  DocTree::Node* arr = t.object(sv, "arrival");
  t.set(arr, "kind", s.arrival);
  if (s.arrival == "closed") t.set_int(arr, "concurrency", static_cast<int64_t>(s.concurrency));
  if (s.arrival == "poisson") t.set(arr, "rate_per_s", s.rate);
  if (s.arrival == "trace") t.set(arr, "trace_file", s.trace_file);
  t.set_int(arr, "requests", static_cast<int64_t>(r.requests));
  t.set_int(arr, "seed", static_cast<int64_t>(s.seed));
  t.set_int(arr, "prompt_tokens", static_cast<int64_t>(m.prompt_tokens));
  t.set_int(arr, "output_tokens", static_cast<int64_t>(m.output_tokens));
  t.set(arr, "output_dist", s.output_dist);
  t.set_int(arr, "pages_per_request", static_cast<int64_t>(m.pages_per_request));

  DocTree::Node* host = t.object(sv, "host");
  t.set(host, "iteration_s", s.host_iteration_s);
  t.set(host, "sample_s", s.host_sample_s);
  t.set(host, "page_s", s.host_page_s);

  DocTree::Node* kv = t.object(sv, "kv_cache");
  t.set(kv, "bytes_per_token", m.kv_bytes_per_token);
  t.set_int(kv, "blocks", static_cast<int64_t>(m.kv_blocks));
  t.set_int(kv, "capacity_tokens", static_cast<int64_t>(m.kv_blocks * s.block_size));
  t.set(kv, "weights_bytes", m.weights_bytes);
  t.set(kv, "activations_bytes", m.activation_bytes);
  t.set_int(kv, "max_blocks_used", static_cast<int64_t>(r.max_kv_blocks));
  t.set(kv, "mean_use", r.mean_kv_use);

  DocTree::Node* win = t.object(sv, "window");
  t.set_int(win, "warmup_requests", static_cast<int64_t>(r.warmup));
  t.set_int(win, "cooldown_requests", static_cast<int64_t>(r.cooldown));
  t.set_int(win, "measured_requests", static_cast<int64_t>(r.measured));
  t.set(win, "start_s", r.window_start_s);
  t.set(win, "end_s", r.window_end_s);
  t.set(win, "simulated_s", r.duration_s);

  DocTree::Node* th = t.object(sv, "throughput");
  t.set(th, "requests_per_s", r.requests_per_s);
  t.set(th, "output_tokens_per_s", r.output_tokens_per_s);
  t.set(th, "total_tokens_per_s", r.total_tokens_per_s);
  t.set(th, "pages_per_day", r.pages_per_day);

  percentiles(t, sv, "ttft_s", r.ttft_s);
  percentiles(t, sv, "tpot_s", r.tpot_s);
  percentiles(t, sv, "itl_s", r.itl_s);
  percentiles(t, sv, "e2e_s", r.e2e_s);

  t.set(sv, "mean_batch", r.mean_batch);
  t.set_int(sv, "max_batch", static_cast<int64_t>(r.max_batch));
  t.set(sv, "mean_in_system", r.mean_in_system);
  t.set_int(sv, "preemptions", static_cast<int64_t>(r.preemptions));
  t.set_int(sv, "iterations", static_cast<int64_t>(r.iterations));

  DocTree::Node* tb = t.object(sv, "time_breakdown_s");
  t.set(tb, "body", r.t_body);
  t.set(tb, "lm_head", r.t_lm_head);
  t.set(tb, "attention", r.t_attention);
  t.set(tb, "vision", r.t_vision);
  t.set(tb, "prefill_extra", r.t_prefill_extra);
  t.set(tb, "host", r.t_host);

  DocTree::Node* cm = t.object(sv, "cost_model");
  t.set(cm, "body_s_1_token", m.body(1));
  t.set(cm, "lm_head_s_1_seq", m.lm_head(1));
  t.set(cm, "vision_s_1_page", m.vision.x.empty() ? 0.0 : m.vision(1));
  t.set(cm, "attention_launch_s", m.attention_launch_s);
  t.set(cm, "decode_attention_s", m.decode_attention_s);
  t.set(cm, "decode_attention_slope_s", m.decode_attention_slope);
  t.set(cm, "decode_context0", m.decode_context0);
  t.set(cm, "prefill_attention_s", m.prefill_attention_s);
  t.set(cm, "prefill_extra_s_per_token", m.prefill_extra_per_token);
  DocTree::Node* grid = t.array(cm, "body_grid");
  for (std::size_t i = 0; i < m.body.x.size(); ++i) {
    DocTree::Node* row = t.push_array(grid);
    t.push_number(row, m.body.x[i]);
    t.push_number(row, m.body.y[i]);
  }

  // Latency distributions as quantiles every 5% (numpy's linear percentile), for CDF charts.
  DocTree::Node* cdf = t.object(sv, "latency_cdf");
  DocTree::Node* qs = t.array(cdf, "quantiles");
  for (int q = 0; q <= 100; q += 5) t.push_number(qs, static_cast<double>(q));
  for (const auto& [key, each] : {std::pair{"ttft_s", &r.ttft_each}, std::pair{"e2e_s", &r.e2e_each}}) {
    std::vector<double> v = *each;
    std::sort(v.begin(), v.end());
    DocTree::Node* arr = t.array(cdf, key);
    for (int q = 0; q <= 100 && !v.empty(); q += 5) {
      const double pos = q / 100.0 * static_cast<double>(v.size() - 1);
      const auto lo = static_cast<std::size_t>(std::floor(pos));
      const std::size_t hi = std::min(lo + 1, v.size() - 1);
      t.push_number(arr, v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo)));
    }
  }

  DocTree::Node* tl = t.array(sv, "timeline");
  for (const auto& p : r.timeline) {
    DocTree::Node* row = t.push_object(tl);
    t.set(row, "t_s", p.t_s);
    t.set_int(row, "batch", static_cast<int64_t>(p.batch));
    t.set_int(row, "kv_blocks", static_cast<int64_t>(p.kv_blocks));
  }
}

}  // namespace modelmeter::core::serving
