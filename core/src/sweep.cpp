// Sweeps over workload keys and hardware profiles.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/sweep.hpp>
#include <mutex>
#include <thread>
#include <tuple>

namespace modelmeter::core {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool parse_int(std::string_view s, int64_t& out) {
  const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

bool parse_double(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size() && std::isfinite(out);
}

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// Splits at commas outside brackets and quotes.
std::vector<std::string> split_values(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  bool quoted = false;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '[') ++depth;
    if (!quoted && c == ']') --depth;
    if (c == ',' && depth == 0 && !quoted) {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

}  // namespace

Vary parse_vary(std::string_view arg) {
  const std::string where = "--vary '" + std::string(arg) + "'";
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == arg.size()) {
    throw InputError(where + ": expected key=start:stop:step or key=a,b,c");
  }
  Vary v{trim(arg.substr(0, eq)), {}};
  const std::string_view spec = arg.substr(eq + 1);
  const bool is_range = spec.find(':') != std::string_view::npos && spec.find('[') == std::string_view::npos &&
                        spec.find('"') == std::string_view::npos;
  if (!is_range) {
    v.values = split_values(spec);
    for (const auto& value : v.values) {
      if (value.empty()) throw InputError(where + ": an empty value in the list");
    }
    return v;
  }
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= spec.size(); ++i) {
    if (i == spec.size() || spec[i] == ':') {
      parts.push_back(trim(spec.substr(start, i - start)));
      start = i + 1;
    }
  }
  if (parts.size() != 3) throw InputError(where + ": a range is start:stop:step");
  int64_t a = 0, b = 0, step = 0;
  if (parse_int(parts[0], a) && parse_int(parts[1], b) && parse_int(parts[2], step)) {
    if (step == 0 || (b - a) / step < 0) {
      throw InputError(where + ": the step " + parts[2] + " does not lead from " + parts[0] + " to " + parts[1]);
    }
    const uint64_t n = static_cast<uint64_t>((b - a) / step) + 1;  // inclusive of stop when reached
    if (n > kMaxSweepPoints) throw InputError(where + ": " + std::to_string(n) + " values is too many");
    for (uint64_t i = 0; i < n; ++i) v.values.push_back(std::to_string(a + static_cast<int64_t>(i) * step));
    return v;
  }
  double fa = 0, fb = 0, fstep = 0;
  if (!parse_double(parts[0], fa) || !parse_double(parts[1], fb) || !parse_double(parts[2], fstep)) {
    throw InputError(where + ": start, stop and step must be numbers");
  }
  if (fstep == 0 || (fb - fa) / fstep < 0) {
    throw InputError(where + ": the step " + parts[2] + " does not lead from " + parts[0] + " to " + parts[1]);
  }
  // Inclusive of stop when a step lands on it (within rounding of the steps).
  const double count = std::floor((fb - fa) / fstep * (1 + 1e-12) + 1e-9) + 1;
  if (count > static_cast<double>(kMaxSweepPoints)) throw InputError(where + ": too many values");
  for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) {
    v.values.push_back(number_text(fa + static_cast<double>(i) * fstep));
  }
  return v;
}

std::pair<std::size_t, std::size_t> shard_range(std::size_t total, std::size_t shard, std::size_t shards) {
  // The first total mod N blocks hold one point more: sizes differ by at most one, in order.
  const std::size_t size = total / shards, extra = total % shards;
  const auto start = [&](std::size_t k) { return k * size + std::min(k, extra); };
  return {start(shard), start(shard + 1)};
}

std::pair<std::size_t, std::size_t> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  int64_t k = -1, n = 0;
  if (slash == std::string_view::npos || !parse_int(text.substr(0, slash), k) ||
      !parse_int(text.substr(slash + 1), n) || n < 1 || k < 0 || k >= n) {
    throw InputError("--shard '" + std::string(text) + "': expected K/N with 0 <= K < N (e.g. 0/4)");
  }
  return {static_cast<std::size_t>(k), static_cast<std::size_t>(n)};
}

namespace {

SweepFigures figures_of(const RunResult& r) {
  SweepFigures f;
  const StageResult* decode = r.stage(MM_STAGE_DECODE);
  f.vision_tokens = static_cast<int64_t>(r.plan.has_vision ? r.plan.vision_tokens : 0);
  f.prefill_tokens = static_cast<int64_t>(r.plan.prefill_tokens);
  f.decode_steps = decode != nullptr ? static_cast<int64_t>(decode->steps) : 0;
  for (const StageResult& s : r.stages) {
    const auto k = static_cast<std::size_t>(s.stage) * 3;
    f.stages[k] = s.forward[MM_METRIC_TC_FLOPS];
    f.stages[k + 1] = s.forward[MM_METRIC_IO_BYTES];
    f.stages[k + 2] = s.time.time_s;
  }
  f.ttft_s = r.ttft_s();
  f.tpot_s = r.tpot_s();
  f.decode_tokens_per_s = r.decode_tokens_per_s();
  f.weights_bytes = r.weights_bytes();
  f.kv_cache_bytes = r.kv_cache_bytes();
  f.activations_peak_bytes = r.activations_peak_bytes();
  f.memory_total_bytes = r.memory_total_bytes();
  f.fits = r.fits();
  return f;
}

// What every point needs, worked out once.
struct SweepPlan {
  const SweepRequest* req;
  KeyCatalog catalog;
  std::size_t per_hardware = 1;
  // decode.max_new_tokens when it is varied: its position in --vary and each value, parsed (or why not).
  std::optional<std::size_t> n_vary;
  std::vector<std::optional<uint64_t>> n_values;
  std::vector<std::string> n_errors;
  std::string n_prepare_text;  // the smallest valid value: the prepared runs are made with it
  uint64_t n_largest = 0;      // the largest valid value
};

// One worker's memo of prepared runs, keyed on the indices of the varied keys other than decode.max_new_tokens.
class PointEvaluator {
 public:
  explicit PointEvaluator(const SweepPlan& plan) : plan_(plan) {}

  SweepPoint evaluate(std::size_t i) {
    const SweepRequest& req = *plan_.req;
    const Hardware& hw = req.hardware[i / plan_.per_hardware];
    std::vector<std::size_t> index(req.vary.size(), 0);
    for (std::size_t k = req.vary.size(), rest = i % plan_.per_hardware; k-- > 0;) {
      index[k] = rest % req.vary[k].values.size();
      rest /= req.vary[k].values.size();
    }
    SweepPoint p;
    p.hardware = hw.id;
    p.values.reserve(req.vary.size());
    for (std::size_t k = 0; k < req.vary.size(); ++k) p.values.push_back(req.vary[k].values[index[k]]);
    std::optional<uint64_t> n;
    if (plan_.n_vary) {
      const std::size_t v = index[*plan_.n_vary];
      if (!plan_.n_values[v]) {
        p.reason = plan_.n_errors[v];
        return p;
      }
      n = plan_.n_values[v];
      index[*plan_.n_vary] = 0;
    }
    Entry& e = entry(index, p.values);
    if (!e.prepared) {
      p.reason = e.reason;
      return p;
    }
    try {
      // Consecutive points mostly differ in the decode length only: the previous result lends its other stages.
      TotalsMemo& memo = e.memo[i / plan_.per_hardware];
      p.figures = figures_of(evaluate_totals(e.prepared, hw, n ? *n : e.config_n, &memo));
      const auto& fits = p.figures->fits;
      p.feasible = !fits || *fits;
      if (!p.feasible) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "does not fit: %.4g GB needed, %.4g GB on %s",
                      *p.figures->memory_total_bytes / 1e9, hw.capacity / 1e9, hw.id.c_str());
        p.reason = buf;
      }
    } catch (const InputError& err) {
      p.figures.reset();
      p.reason = err.what();
    }
    return p;
  }

 private:
  struct Entry {
    std::shared_ptr<const PreparedRun> prepared;
    uint64_t config_n = 0;
    std::string reason;
    std::vector<TotalsMemo> memo;  // per hardware profile
  };

  Entry& entry(const std::vector<std::size_t>& key, const std::vector<std::string>& values) {
    if (last_ != nullptr && last_key_ == key) return *last_;
    // Bounded: a sweep over many distinct configurations should not hold every stage tree at once. A prepared run
    // of DeepSeek-OCR holds ~0.3 MB: 256 of them ~75 MB per worker. Past 256 distinct configurations (of the keys
    // other than decode.max_new_tokens) a sweep over several hardware profiles prepares each again per profile.
    if (memo_.size() >= kMaxPrepared) memo_.clear();
    auto [it, inserted] = memo_.try_emplace(key);
    if (inserted) {
      const SweepRequest& req = *plan_.req;
      ResolveInputs inputs = req.inputs;
      for (std::size_t k = 0; k < req.vary.size(); ++k) {
        const bool is_n = plan_.n_vary && k == *plan_.n_vary;
        inputs.overrides.push_back(Override{req.vary[k].key, is_n ? plan_.n_prepare_text : values[k]});
      }
      try {
        auto prepared = prepare_run(req.plugin, resolve_config(plan_.catalog, inputs));
        if (prepared->task != MM_TASK_GENERATE) {
          throw InputError("task '" + std::string(task_name(prepared->task)) +
                           "' is modeled by 'modelmeter run' only; sweeps model generation (task.kind = \"generate\")");
        }
        it->second.config_n =
            static_cast<uint64_t>(prepared->config.settings.at("decode.max_new_tokens").value.integer);
        it->second.prepared = std::move(prepared);
        it->second.memo.resize(req.hardware.size());
        for (TotalsMemo& m : it->second.memo) m.horizon = plan_.n_vary ? plan_.n_largest : it->second.config_n;
      } catch (const InputError& err) {
        it->second.reason = err.what();
      }
    }
    last_key_ = key;
    last_ = &it->second;
    return *last_;
  }

  static constexpr std::size_t kMaxPrepared = 256;

  const SweepPlan& plan_;
  std::map<std::vector<std::size_t>, Entry> memo_;
  std::vector<std::size_t> last_key_;
  Entry* last_ = nullptr;
};

}  // namespace

namespace {

// The request checked and planned: what every point needs, and the points [first, last) this shard evaluates.
struct CheckedSweep {
  SweepPlan plan;
  std::size_t first = 0, last = 0;
};

CheckedSweep check_sweep(const SweepRequest& req) {
  if (req.hardware.empty()) throw InputError("a sweep needs at least one hardware profile");
  std::size_t total = req.hardware.size();
  for (const Vary& v : req.vary) {
    if (v.values.empty()) throw InputError("--vary " + v.key + " has no values");
    if (total > kMaxSweepPoints / v.values.size()) {
      throw InputError("the sweep has more than " + std::to_string(kMaxSweepPoints) + " points");
    }
    total *= v.values.size();
  }
  CheckedSweep checked{SweepPlan{&req, catalog_for(*req.plugin), total / req.hardware.size(), {}, {}, {}, {}, 0}, 0, 0};
  SweepPlan& plan = checked.plan;
  // Every varied key must exist: checked once, before the first point runs.
  for (const Vary& v : req.vary) {
    if (plan.catalog.find(v.key) == nullptr) {
      const std::string near = plan.catalog.closest(v.key);
      throw InputError("--vary: unknown key '" + v.key + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  if (req.shards == 0 || req.shard >= req.shards) throw InputError("--shard: K must be below N");
  // decode.max_new_tokens (varied once) does not change the stage trees: parse its values once.
  const char* kNewTokens = "decode.max_new_tokens";
  if (std::count_if(req.vary.begin(), req.vary.end(), [&](const Vary& v) { return v.key == kNewTokens; }) == 1) {
    const auto k = static_cast<std::size_t>(
        std::find_if(req.vary.begin(), req.vary.end(), [&](const Vary& v) { return v.key == kNewTokens; }) -
        req.vary.begin());
    plan.n_vary = k;
    std::optional<uint64_t> smallest;
    for (const std::string& text : req.vary[k].values) {
      try {
        const Value v =
            parse_value_text(*plan.catalog.find(kNewTokens), text, "--set " + std::string(kNewTokens) + "=" + text);
        const auto n = static_cast<uint64_t>(v.integer);
        plan.n_values.emplace_back(n);
        plan.n_errors.emplace_back();
        plan.n_largest = std::max(plan.n_largest, n);
        if (!smallest || n < *smallest) {
          smallest = n;
          plan.n_prepare_text = text;
        }
      } catch (const InputError& err) {
        plan.n_values.emplace_back();
        plan.n_errors.emplace_back(err.what());
      }
    }
  }
  std::tie(checked.first, checked.last) = shard_range(total, req.shard, req.shards);
  return checked;
}

}  // namespace

std::size_t sweep_point_count(const SweepRequest& req) {
  const CheckedSweep checked = check_sweep(req);
  return checked.last - checked.first;
}

std::size_t run_sweep(const SweepRequest& req, const SweepSink& sink) {
  const CheckedSweep checked = check_sweep(req);
  const SweepPlan& plan = checked.plan;
  const std::size_t first = checked.first, last = checked.last;  // plain names: lambdas below capture them
  const std::size_t count = last - first;

  // Blocks of points handed out in order to the workers. A finished block waits in a window of kWindow slots until
  // the blocks before it are done, then its rows go to the sink in point order (one thread at a time); a worker
  // does not start a block more than kWindow blocks ahead of the oldest one not yet handed on, so at most
  // kWindow × kBlock rows are held whatever the point count. On a stop, the rows of the blocks that form a prefix
  // (the last one possibly cut short) are handed on.
  constexpr std::size_t kBlock = 256;
  const std::size_t blocks = (count + kBlock - 1) / kBlock;
  unsigned threads = req.threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : req.threads;
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(blocks, 1)));
  const std::size_t window = std::max<std::size_t>(8, 4 * static_cast<std::size_t>(threads));
  struct Slot {
    std::vector<SweepPoint> rows;
    bool filled = false;    // handed in by its worker
    bool complete = false;  // every point of the block evaluated (false: cut short by a stop)
  };
  std::vector<Slot> slots(window);
  std::mutex mutex;  // guards slots, emitted, emitting
  std::condition_variable room;
  std::size_t emitted = 0;  // blocks handed on to the sink
  bool emitting = false;    // a thread is handing rows on
  std::size_t rows_out = 0;
  std::atomic<std::size_t> next{0}, points_done{0};
  std::atomic<bool> failed{false};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  const auto stopping = [&] { return failed.load() || (req.stop != nullptr && req.stop->load()); };
  // Hands on the complete blocks at the front of the window (called with `lock` held; releases it around the sink).
  const auto drain = [&](std::unique_lock<std::mutex>& lock) {
    if (emitting) return;
    emitting = true;
    while (!failed.load() && slots[emitted % window].filled && slots[emitted % window].complete) {
      std::vector<SweepPoint> rows = std::move(slots[emitted % window].rows);
      slots[emitted % window] = Slot{};
      lock.unlock();
      try {
        for (SweepPoint& p : rows) sink(std::move(p));
      } catch (...) {
        lock.lock();
        emitting = false;
        throw;
      }
      lock.lock();
      rows_out += rows.size();
      ++emitted;
      room.notify_all();
    }
    emitting = false;
  };
  const auto work = [&](bool reports_progress) {
    PointEvaluator ev(plan);
    try {
      for (std::size_t b; (b = next.fetch_add(1)) < blocks;) {
        {
          std::unique_lock<std::mutex> lock(mutex);
          // The stop flag is set by a signal handler that cannot notify: look again every 20 ms.
          while (b >= emitted + window && !stopping()) room.wait_for(lock, std::chrono::milliseconds(20));
        }
        if (stopping()) return;
        const std::size_t lo = first + b * kBlock, hi = std::min(last, lo + kBlock);
        std::vector<SweepPoint> rows;
        rows.reserve(hi - lo);
        bool complete = true;
        for (std::size_t i = lo; i < hi; ++i) {
          if (req.stop != nullptr && req.stop->load()) {
            complete = false;
            break;
          }
          rows.push_back(ev.evaluate(i));
          if (reports_progress && req.progress) req.progress(points_done.load() + rows.size(), count);
        }
        points_done += rows.size();
        std::unique_lock<std::mutex> lock(mutex);
        slots[b % window] = Slot{std::move(rows), true, complete};
        if (!complete) return;
        drain(lock);
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      failed = true;
      room.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work, false);
  work(true);
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  // Stopped: the blocks left in the window that continue the prefix, up to the first one cut short or missing.
  for (; emitted < blocks; ++emitted) {
    Slot& slot = slots[emitted % window];
    if (!slot.filled) break;
    for (SweepPoint& p : slot.rows) sink(std::move(p));
    rows_out += slot.rows.size();
    if (!slot.complete) break;
    slot = Slot{};
  }
  return rows_out;
}

std::vector<SweepPoint> run_sweep(const SweepRequest& req) {
  std::vector<SweepPoint> points;
  run_sweep(req, [&](SweepPoint&& p) { points.push_back(std::move(p)); });
  return points;
}

std::vector<std::string> sweep_columns(const SweepRequest& req) {
  std::vector<std::string> columns;
  for (const Vary& v : req.vary) columns.push_back(v.key);
  for (const char* c : {"hardware", "feasible", "reason", "vision_tokens", "prefill_tokens", "decode_steps"}) {
    columns.emplace_back(c);
  }
  for (mm_stage st : {MM_STAGE_VISION, MM_STAGE_PREFILL, MM_STAGE_DECODE}) {
    for (const char* m : {"tc_flops", "io_bytes", "time_s"}) columns.push_back(std::string(stage_name(st)) + "." + m);
  }
  for (const char* c : {"ttft_s", "tpot_s", "decode_tokens_per_s", "weights_bytes", "kv_cache_bytes",
                        "activations_peak_bytes", "fits"}) {
    columns.emplace_back(c);
  }
  return columns;
}

std::unique_ptr<DocTree> build_sweep_doc(const SweepRequest& req, const std::vector<SweepPoint>& points,
                                         bool interrupted, std::string_view tool_version) {
  auto tree = new_document("sweep", *req.plugin, tool_version);
  DocTree& t = *tree;
  auto* root = t.root();
  auto* workload = t.object(root, "workload");
  t.set(workload, "name", req.inputs.workload_name);
  auto* varied = t.array(root, "varied");
  for (const Vary& v : req.vary) t.push(varied, v.key);
  if (req.hardware.size() > 1) t.push(varied, "hardware");

  const std::vector<std::string> columns = sweep_columns(req);
  const mm_stage stages[] = {MM_STAGE_VISION, MM_STAGE_PREFILL, MM_STAGE_DECODE};
  auto* cols = t.array(root, "columns");
  for (const auto& c : columns) t.push(cols, c);

  auto* rows = t.array(root, "rows");
  for (const SweepPoint& p : points) {
    auto* row = t.push_array(rows);
    for (const auto& v : p.values) t.push(row, v);
    t.push(row, p.hardware);
    t.push_bool(row, p.feasible);
    t.push(row, p.reason);
    if (!p.figures) {
      for (std::size_t i = p.values.size() + 3; i < columns.size(); ++i) t.push_null(row);
      continue;
    }
    const SweepFigures& f = *p.figures;
    t.push_int(row, f.vision_tokens);
    t.push_int(row, f.prefill_tokens);
    t.push_int(row, f.decode_steps);
    for (mm_stage st : stages) {
      for (std::size_t m = 0; m < 3; ++m) t.push_number(row, f.stages[static_cast<std::size_t>(st) * 3 + m]);
    }
    t.push_number(row, f.ttft_s);
    t.push_number(row, f.tpot_s);
    t.push_number(row, f.decode_tokens_per_s);
    t.push_number(row, f.weights_bytes);
    t.push_number(row, f.kv_cache_bytes);
    t.push_number(row, f.activations_peak_bytes);
    if (f.fits) {
      t.push_bool(row, *f.fits);
    } else {
      t.push_null(row);
    }
  }
  t.set(root, "interrupted", interrupted);
  tree->freeze();
  return tree;
}

namespace {

// sweep.csv's fields, exactly as the csv writer writes the sweep document (plugins/writers/csv): RFC 4180 quoting,
// null empty, booleans true/false, integers and whole doubles below 2^53 as integers, other doubles in their
// shortest round-trip form.
void csv_separate(std::string& out, bool& first) {
  if (!first) out += ',';
  first = false;
}

void csv_text(std::string& out, bool& first, std::string_view s) {
  csv_separate(out, first);
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += s;
    return;
  }
  out += '"';
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void csv_number(std::string& out, bool& first, const std::optional<double>& v) {
  csv_separate(out, first);
  if (!v || !std::isfinite(*v)) return;
  char buf[64];
  if (*v == std::floor(*v) && std::fabs(*v) < 9007199254740992.0) {
    out.append(buf, std::to_chars(buf, buf + sizeof buf, static_cast<long long>(*v)).ptr);
    return;
  }
  out.append(buf, std::to_chars(buf, buf + sizeof buf, *v).ptr);
}

void csv_int(std::string& out, bool& first, int64_t v) {
  csv_separate(out, first);
  char buf[32];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

}  // namespace

std::string sweep_csv_header(const SweepRequest& req) {
  std::string out;
  bool first = true;
  for (const std::string& c : sweep_columns(req)) csv_text(out, first, c);
  out += '\n';
  return out;
}

void append_sweep_csv_row(std::string& out, const SweepPoint& p) {
  bool first = true;
  for (const std::string& v : p.values) csv_text(out, first, v);
  csv_text(out, first, p.hardware);
  csv_text(out, first, p.feasible ? "true" : "false");
  csv_text(out, first, p.reason);
  if (!p.figures) {
    // The figures' columns, empty: 3 token counts, 3 per stage, 6 summary figures and fits.
    for (std::size_t i = 0; i < 3 + 3 * 3 + 6 + 1; ++i) csv_separate(out, first);
    out += '\n';
    return;
  }
  const SweepFigures& f = *p.figures;
  csv_int(out, first, f.vision_tokens);
  csv_int(out, first, f.prefill_tokens);
  csv_int(out, first, f.decode_steps);
  for (mm_stage st : {MM_STAGE_VISION, MM_STAGE_PREFILL, MM_STAGE_DECODE}) {
    for (std::size_t m = 0; m < 3; ++m) csv_number(out, first, f.stages[static_cast<std::size_t>(st) * 3 + m]);
  }
  for (const auto* v :
       {&f.ttft_s, &f.tpot_s, &f.decode_tokens_per_s, &f.weights_bytes, &f.kv_cache_bytes, &f.activations_peak_bytes}) {
    csv_number(out, first, *v);
  }
  if (f.fits) {
    csv_text(out, first, *f.fits ? "true" : "false");
  } else {
    csv_separate(out, first);
  }
  out += '\n';
}

}  // namespace modelmeter::core
