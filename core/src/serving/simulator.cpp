// The discrete-event serving simulator: a vLLM-style scheduler over the iteration cost model (docs/serving.md).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/files.hpp>
#include <modelmeter/core/serving.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace modelmeter::core::serving {

namespace {

// Uniform in [0, 1) from 53 bits of the generator: the same sequence with every standard library (the
// <random> distributions are implementation-defined).
double uniform01(std::mt19937_64& g) {
  return static_cast<double>(g() >> 11) * 0x1.0p-53;
}

uint64_t output_length(const Settings& s, uint64_t base, std::mt19937_64& g) {
  if (s.output_dist == "uniform") {
    const double lo = std::max(1.0, std::round(static_cast<double>(base) * (1 - s.output_spread)));
    const double hi = std::max(lo, std::round(static_cast<double>(base) * (1 + s.output_spread)));
    return static_cast<uint64_t>(lo + std::floor(uniform01(g) * (hi - lo + 1)));
  }
  return base;
}

std::vector<Request> read_trace(const Settings& s, const CostModel& m) {
  const std::string text = read_regular_file(s.trace_file, "serving trace");
  std::istringstream in(text);
  std::string line;
  std::vector<Request> out;
  std::size_t lineno = 0;
  int col_arrival = -1, col_prompt = -1, col_output = -1;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::size_t start = 0;
    while (true) {
      const auto comma = line.find(',', start);
      cells.push_back(line.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    const std::string where = s.trace_file + ":" + std::to_string(lineno);
    if (col_arrival < 0) {
      for (std::size_t i = 0; i < cells.size(); ++i) {
        if (cells[i] == "arrival_s") col_arrival = static_cast<int>(i);
        if (cells[i] == "prompt_tokens") col_prompt = static_cast<int>(i);
        if (cells[i] == "output_tokens") col_output = static_cast<int>(i);
      }
      if (col_arrival < 0 || col_prompt < 0 || col_output < 0) {
        throw InputError(where + ": the header must name the columns arrival_s, prompt_tokens, output_tokens");
      }
      continue;
    }
    auto number = [&](int col, const char* name, bool integer) {
      if (static_cast<std::size_t>(col) >= cells.size()) throw InputError(where + ": no " + name + " column");
      const std::string& c = cells[static_cast<std::size_t>(col)];
      std::size_t used = 0;
      double v = 0;
      try {
        v = std::stod(c, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used == 0 || used != c.size() || !std::isfinite(v) || v < 0 || (integer && v != std::floor(v))) {
        throw InputError(where + ": " + name + " = '" + c + "' is not allowed: expected a " +
                         (integer ? "non-negative integer" : "non-negative number"));
      }
      return v;
    };
    Request r;
    r.arrival_s = number(col_arrival, "arrival_s", false);
    const double p = number(col_prompt, "prompt_tokens", true);
    r.prompt_tokens = p > 0 ? static_cast<uint64_t>(p) : m.prompt_tokens;
    r.output_tokens = static_cast<uint64_t>(number(col_output, "output_tokens", true));
    if (r.output_tokens == 0) throw InputError(where + ": output_tokens = 0 is not allowed: expected at least 1");
    r.pages = m.pages_per_request;
    out.push_back(r);
  }
  if (out.empty()) throw InputError(s.trace_file + ": the trace holds no request");
  std::stable_sort(out.begin(), out.end(),
                   [](const Request& a, const Request& b) { return a.arrival_s < b.arrival_s; });
  return out;
}

// numpy.percentile's default (linear between closest ranks).
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  const double pos = q / 100 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

Percentiles summarize(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v) sum += x;
  p.mean = sum / static_cast<double>(v.size());
  p.p50 = percentile(v, 50);
  p.p90 = percentile(v, 90);
  p.p99 = percentile(v, 99);
  return p;
}

// Weighted samples (value, count): percentiles as if each value were repeated count times.
Percentiles summarize_weighted(std::vector<std::pair<double, uint64_t>> v) {
  Percentiles p;
  uint64_t n = 0;
  double sum = 0;
  for (const auto& [x, c] : v) {
    n += c;
    sum += x * static_cast<double>(c);
  }
  if (n == 0) return p;
  std::sort(v.begin(), v.end());
  p.mean = sum / static_cast<double>(n);
  auto at_rank = [&](uint64_t rank) {  // the value at 0-based rank
    uint64_t seen = 0;
    for (const auto& e : v) {
      seen += e.second;
      if (rank < seen) return e.first;
    }
    return v.back().first;
  };
  auto pct = [&](double q) {
    const double pos = q / 100 * static_cast<double>(n - 1);
    const auto lo = static_cast<uint64_t>(std::floor(pos));
    const double a = at_rank(lo), b = at_rank(std::min(lo + 1, n - 1));
    return a + (b - a) * (pos - static_cast<double>(lo));
  };
  p.p50 = pct(50);
  p.p90 = pct(90);
  p.p99 = pct(99);
  return p;
}

struct Seq {
  uint64_t req = 0;
  uint64_t tokens = 0;    // prompt + generated
  uint64_t computed = 0;  // tokens whose KV is in the cache
  uint64_t generated = 0;
  uint64_t blocks = 0;
  double last_token_s = 0;
  bool first_token = false;
};

}  // namespace

std::vector<Request> make_requests(const Settings& s, const CostModel& m) {
  if (s.arrival == "trace") return read_trace(s, m);
  std::mt19937_64 g(s.seed);
  std::vector<Request> out(s.num_requests);
  double t = 0;
  for (auto& r : out) {
    if (s.arrival == "poisson") {
      t += -std::log(1 - uniform01(g)) / s.rate;
      r.arrival_s = t;
    }
    r.prompt_tokens = m.prompt_tokens;
    r.output_tokens = output_length(s, m.output_tokens, g);
    r.pages = m.pages_per_request;
  }
  return out;
}

Result simulate(const CostModel& m, const Settings& s, const std::vector<Request>& requests) {
  const bool closed = s.arrival == "closed";
  const uint64_t n = requests.size();
  const uint64_t bs = s.block_size;
  auto blocks_for = [bs](uint64_t tokens) { return (tokens + bs - 1) / bs; };
  for (const auto& r : requests) {
    if (r.output_tokens == 0 || r.prompt_tokens == 0)
      throw InputError("simulate: a request needs prompt and output tokens");
    if (blocks_for(r.prompt_tokens) > m.kv_blocks) {
      throw InputError("simulate: a prompt of " + std::to_string(r.prompt_tokens) + " tokens needs " +
                       std::to_string(blocks_for(r.prompt_tokens)) + " KV blocks; the cache holds " +
                       std::to_string(m.kv_blocks));
    }
    if (!s.chunked_prefill && r.prompt_tokens > s.max_num_batched_tokens) {
      throw InputError("key 'serving.max_num_batched_tokens' = " + std::to_string(s.max_num_batched_tokens) +
                       " is not allowed without chunked prefill: a prompt has " + std::to_string(r.prompt_tokens) +
                       " tokens");
    }
  }

  std::vector<double> arrival(n), ready(n), first_token(n, -1), done(n, -1);
  // Requests in order of readiness: open loop by arrival; closed loop as slots free.
  std::deque<uint64_t> pending;
  uint64_t issued = 0;
  auto issue = [&](uint64_t i, double t) {
    arrival[i] = t;
    ready[i] = t + s.host_page_s * static_cast<double>(requests[i].pages);
    pending.push_back(i);
  };
  if (closed) {
    for (; issued < std::min<uint64_t>(n, s.concurrency); ++issued) issue(issued, 0);
  } else {
    for (; issued < n; ++issued) issue(issued, requests[issued].arrival_s);
  }

  std::vector<Seq> seqs(n);
  std::deque<uint64_t> waiting;   // FCFS; preempted requests go back to the front
  std::vector<uint64_t> running;  // admission order
  uint64_t free_blocks = m.kv_blocks;
  uint64_t finished = 0;
  double t = 0;

  Result res;
  res.requests = n;
  std::vector<uint64_t> completion_order;
  completion_order.reserve(n);
  struct Iter {
    double start, end;
    uint64_t batch, blocks_used;
    double body, lm, attn, vision, extra, host;
  };
  std::vector<Iter> iters;
  std::vector<std::pair<double, uint64_t>> itl;  // (gap, count), per iteration and for preempted ones

  struct Sched {
    uint64_t req, q;
    bool decode;
  };
  std::vector<Sched> sched;
  while (finished < n) {
    while (!pending.empty() && ready[pending.front()] <= t) {
      const uint64_t i = pending.front();
      pending.pop_front();
      Seq& q = seqs[i];
      q.req = i;
      q.tokens = requests[i].prompt_tokens;
      waiting.push_back(i);
    }
    if (running.empty() && waiting.empty()) {
      if (pending.empty()) break;
      // Idle until the next request is ready (open loop, or a closed loop's preprocessing).
      // pending is in ready order for both loops (ready = arrival + a constant per page count).
      t = std::max(t, ready[pending.front()]);
      continue;
    }

    // --- schedule one iteration ---
    sched.clear();
    uint64_t budget = s.max_num_batched_tokens;
    bool preempted_now = false;
    auto preempt = [&](uint64_t victim) {
      Seq& v = seqs[victim];
      free_blocks += v.blocks;
      v.blocks = 0;
      v.computed = 0;
      waiting.push_front(victim);
      ++res.preemptions;
      preempted_now = true;
    };
    bool prefill_only = false;
    if (!s.chunked_prefill && !waiting.empty()) {
      // vLLM V0 without chunked prefill: an iteration of prefills whenever a waiting request can start.
      const Seq& w = seqs[waiting.front()];
      prefill_only = running.size() < s.max_num_seqs && blocks_for(w.tokens) <= free_blocks && w.tokens <= budget;
    }
    if (!prefill_only) {
      for (std::size_t k = 0; k < running.size() && budget > 0; ++k) {
        const uint64_t i = running[k];
        Seq& q = seqs[i];
        uint64_t want = q.tokens - q.computed;
        if (want > budget) want = s.chunked_prefill ? budget : 0;
        if (want == 0) continue;
        const uint64_t need = blocks_for(q.computed + want) - q.blocks;
        bool self_preempted = false;
        while (need > free_blocks) {
          const uint64_t victim = running.back();
          running.pop_back();
          preempt(victim);
          if (victim == i) {
            self_preempted = true;
            break;
          }
        }
        if (self_preempted) break;
        free_blocks -= need;
        q.blocks += need;
        sched.push_back({i, want, q.generated > 0 && q.computed + 1 == q.tokens && q.computed > 0});
        budget -= want;
      }
    }
    if (!preempted_now) {
      while (!waiting.empty() && running.size() < s.max_num_seqs && budget > 0) {
        const uint64_t i = waiting.front();
        Seq& q = seqs[i];
        uint64_t want = q.tokens - q.computed;
        if (want > budget) {
          if (!s.chunked_prefill) break;
          want = budget;
        }
        const uint64_t need = blocks_for(want);
        if (need > free_blocks) break;
        waiting.pop_front();
        free_blocks -= need;
        q.blocks = need;
        running.push_back(i);
        sched.push_back({i, want, false});
        budget -= want;
      }
    }
    if (sched.empty()) {
      if (running.empty()) {
        throw InputError("simulate: a request cannot be scheduled (KV cache of " + std::to_string(m.kv_blocks) +
                         " blocks, max_num_batched_tokens " + std::to_string(s.max_num_batched_tokens) + ")");
      }
      continue;  // everything was preempted this round; try again
    }

    // --- cost of the iteration ---
    double tokens = 0, samples = 0, pages = 0, attn = 0, prefill_tokens = 0;
    for (const auto& e : sched) {
      const Seq& q = seqs[e.req];
      const double qd = static_cast<double>(e.q), c0 = static_cast<double>(q.computed);
      tokens += qd;
      if (q.computed + e.q == q.tokens) samples += 1;
      if (e.decode) {
        attn += m.decode_attention(c0 + 1);
      } else {
        attn += m.prefill_attention(qd, c0);
        prefill_tokens += qd;
        if (q.computed == 0) pages += static_cast<double>(requests[e.req].pages);
      }
    }
    Iter it{};
    it.start = t;
    it.body = m.body(tokens);
    it.lm = m.lm_head(samples);
    it.attn = m.attention_launch_s + attn;
    it.vision = pages > 0 ? m.vision(pages) : 0;
    it.extra = m.prefill_extra_per_token * prefill_tokens;
    it.host = s.host_iteration_s + s.host_sample_s * samples;
    const double dt = std::max(0.0, it.body + it.lm + it.attn + it.vision + it.extra + it.host);
    t += dt;
    it.end = t;
    it.batch = sched.size();
    it.blocks_used = m.kv_blocks - free_blocks;

    // --- apply ---
    uint64_t same_gap = 0;
    for (const auto& e : sched) {
      Seq& q = seqs[e.req];
      q.computed += e.q;
      if (q.computed < q.tokens) continue;
      // The iteration sampled a token for this sequence.
      if (!q.first_token) {
        q.first_token = true;
        first_token[e.req] = t;
      } else if (q.last_token_s == it.start) {
        ++same_gap;
      } else {
        itl.emplace_back(t - q.last_token_s, 1);
      }
      q.last_token_s = t;
      ++q.generated;
      ++q.tokens;
      if (q.generated == requests[e.req].output_tokens) {
        done[e.req] = t;
        free_blocks += q.blocks;
        q.blocks = 0;
        ++finished;
        completion_order.push_back(e.req);
        running.erase(std::find(running.begin(), running.end(), e.req));
        if (closed && issued < n) {
          issue(issued, t);
          ++issued;
        }
      }
    }
    if (same_gap > 0) {
      itl.emplace_back(dt, same_gap);
    }
    iters.push_back(it);
  }

  // --- metrics over the measurement window ---
  res.iterations = iters.size();
  res.warmup = static_cast<uint64_t>(std::floor(s.warmup_fraction * static_cast<double>(n)));
  res.cooldown = static_cast<uint64_t>(std::floor(s.cooldown_fraction * static_cast<double>(n)));
  if (res.warmup + res.cooldown >= n) res.warmup = res.cooldown = 0;
  res.measured = n - res.warmup - res.cooldown;
  double first_arrival = arrival[0];
  for (double a : arrival) first_arrival = std::min(first_arrival, a);
  res.window_start_s = res.warmup == 0 ? first_arrival : done[completion_order[res.warmup - 1]];
  res.window_end_s = done[completion_order[n - res.cooldown - 1]];
  res.duration_s = t - first_arrival;
  const double window = res.window_end_s - res.window_start_s;
  double out_tokens = 0, all_tokens = 0, pages_done = 0;
  std::vector<double> tpot;
  for (uint64_t k = res.warmup; k < n - res.cooldown; ++k) {
    const uint64_t i = completion_order[k];
    const Request& r = requests[i];
    out_tokens += static_cast<double>(r.output_tokens);
    all_tokens += static_cast<double>(r.output_tokens + r.prompt_tokens);
    pages_done += static_cast<double>(r.pages);
    res.ttft_each.push_back(first_token[i] - arrival[i]);
    res.e2e_each.push_back(done[i] - arrival[i]);
    if (r.output_tokens > 1) {
      tpot.push_back((done[i] - first_token[i]) / static_cast<double>(r.output_tokens - 1));
    }
  }
  if (window > 0) {
    res.requests_per_s = static_cast<double>(res.measured) / window;
    res.output_tokens_per_s = out_tokens / window;
    res.total_tokens_per_s = all_tokens / window;
    if (m.pages_per_request > 0) res.pages_per_day = pages_done / window * 86400;
  }
  res.ttft_s = summarize(res.ttft_each);
  res.e2e_s = summarize(res.e2e_each);
  res.tpot_s = summarize(tpot);
  res.itl_s = summarize_weighted(itl);

  // Time averages over the window (iterations overlapping it, clipped).
  double covered = 0, batch_sum = 0, kv_sum = 0, sys_sum = 0;
  for (const auto& it : iters) {
    const double a = std::max(it.start, res.window_start_s), b = std::min(it.end, res.window_end_s);
    res.max_batch = std::max(res.max_batch, it.batch);
    res.max_kv_blocks = std::max(res.max_kv_blocks, it.blocks_used);
    if (b <= a) continue;
    const double w = b - a, f = w / (it.end - it.start);
    covered += w;
    batch_sum += static_cast<double>(it.batch) * w;
    kv_sum += static_cast<double>(it.blocks_used) * w;
    res.t_body += it.body * f;
    res.t_lm_head += it.lm * f;
    res.t_attention += it.attn * f;
    res.t_vision += it.vision * f;
    res.t_prefill_extra += it.extra * f;
    res.t_host += it.host * f;
  }
  if (covered > 0) {
    res.mean_batch = batch_sum / covered;
    res.mean_kv_use = kv_sum / covered / static_cast<double>(m.kv_blocks);
  }
  // Requests in the system (arrived, not finished), integrated exactly over the window.
  if (window > 0) {
    for (uint64_t i = 0; i < n; ++i) {
      const double a = std::max(arrival[i], res.window_start_s), b = std::min(done[i], res.window_end_s);
      if (b > a) sys_sum += b - a;
    }
    res.mean_in_system = sys_sum / window;
  }
  const std::size_t stride = std::max<std::size_t>(1, iters.size() / 400);
  for (std::size_t k = 0; k < iters.size(); k += stride) {
    res.timeline.push_back({iters[k].end, iters[k].batch, iters[k].blocks_used});
  }
  return res;
}

}  // namespace modelmeter::core::serving
