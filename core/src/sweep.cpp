// Sweeps over workload keys and hardware profiles.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/sweep.hpp>

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

std::vector<SweepPoint> run_sweep(const SweepRequest& req) {
  if (req.hardware.empty()) throw InputError("a sweep needs at least one hardware profile");
  std::size_t total = req.hardware.size();
  for (const Vary& v : req.vary) {
    if (v.values.empty()) throw InputError("--vary " + v.key + " has no values");
    if (total > kMaxSweepPoints / v.values.size()) {
      throw InputError("the sweep has more than " + std::to_string(kMaxSweepPoints) + " points");
    }
    total *= v.values.size();
  }
  // Every varied key must exist: checked once, before the first point runs.
  const KeyCatalog catalog = catalog_for(*req.plugin);
  for (const Vary& v : req.vary) {
    if (catalog.find(v.key) == nullptr) {
      const std::string near = catalog.closest(v.key);
      throw InputError("--vary: unknown key '" + v.key + "'" + (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
  }
  if (req.shards == 0 || req.shard >= req.shards) throw InputError("--shard: K must be below N");
  const auto [first, last] = shard_range(total, req.shard, req.shards);
  std::vector<SweepPoint> points;
  points.reserve(last - first);
  const std::size_t per_hardware = total / req.hardware.size();
  for (std::size_t i = first; i < last; ++i) {
    if (req.stop != nullptr && req.stop->load()) return points;
    // Point i: the hardware slowest, the last --vary fastest.
    const Hardware& hw = req.hardware[i / per_hardware];
    std::vector<std::size_t> index(req.vary.size(), 0);
    for (std::size_t k = req.vary.size(), rest = i % per_hardware; k-- > 0;) {
      index[k] = rest % req.vary[k].values.size();
      rest /= req.vary[k].values.size();
    }
    {
      SweepPoint p;
      p.hardware = hw.id;
      RunRequest rr{req.plugin, req.inputs, hw};
      for (std::size_t k = 0; k < req.vary.size(); ++k) {
        p.values.push_back(req.vary[k].values[index[k]]);
        rr.inputs.overrides.push_back(Override{req.vary[k].key, p.values.back()});
      }
      try {
        auto run = std::make_shared<RunResult>(run_model(rr));
        const auto fits = run->fits();
        p.feasible = !fits || *fits;
        if (!p.feasible) {
          char buf[160];
          std::snprintf(buf, sizeof buf, "does not fit: %.4g GB needed, %.4g GB on %s",
                        *run->memory_total_bytes() / 1e9, hw.capacity / 1e9, hw.id.c_str());
          p.reason = buf;
        }
        p.run = std::move(run);
      } catch (const InputError& e) {
        p.feasible = false;
        p.reason = e.what();
      }
      points.push_back(std::move(p));
    }
    if (req.progress) req.progress(points.size(), last - first);
  }
  return points;
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

  std::vector<std::string> columns;
  for (const Vary& v : req.vary) columns.push_back(v.key);
  for (const char* c : {"hardware", "feasible", "reason", "vision_tokens", "prefill_tokens", "decode_steps"}) {
    columns.emplace_back(c);
  }
  const mm_stage stages[] = {MM_STAGE_VISION, MM_STAGE_PREFILL, MM_STAGE_DECODE};
  for (mm_stage st : stages) {
    for (const char* m : {"tc_flops", "io_bytes", "time_s"}) columns.push_back(std::string(stage_name(st)) + "." + m);
  }
  for (const char* c : {"ttft_s", "tpot_s", "decode_tokens_per_s", "weights_bytes", "kv_cache_bytes",
                        "activations_peak_bytes", "fits"}) {
    columns.emplace_back(c);
  }
  auto* cols = t.array(root, "columns");
  for (const auto& c : columns) t.push(cols, c);

  auto* rows = t.array(root, "rows");
  for (const SweepPoint& p : points) {
    auto* row = t.push_array(rows);
    for (const auto& v : p.values) t.push(row, v);
    t.push(row, p.hardware);
    t.push_bool(row, p.feasible);
    t.push(row, p.reason);
    const RunResult* r = p.run.get();
    if (r == nullptr) {
      for (std::size_t i = p.values.size() + 3; i < columns.size(); ++i) t.push_null(row);
      continue;
    }
    const StageResult* decode = r->stage(MM_STAGE_DECODE);
    t.push_int(row, static_cast<int64_t>(r->plan.has_vision ? r->plan.vision_tokens : 0));
    t.push_int(row, static_cast<int64_t>(r->plan.prefill_tokens));
    t.push_int(row, decode != nullptr ? static_cast<int64_t>(decode->steps) : 0);
    for (mm_stage st : stages) {
      const StageResult* s = r->stage(st);
      t.push_number(row, s ? s->forward[MM_METRIC_TC_FLOPS] : std::nullopt);
      t.push_number(row, s ? s->forward[MM_METRIC_IO_BYTES] : std::nullopt);
      t.push_number(row, s ? std::optional<double>(s->time.time_s) : std::nullopt);
    }
    t.push_number(row, r->ttft_s());
    t.push_number(row, r->tpot_s());
    t.push_number(row, r->decode_tokens_per_s());
    t.push_number(row, r->weights_bytes());
    t.push_number(row, r->kv_cache_bytes());
    t.push_number(row, r->activations_peak_bytes());
    if (const auto fits = r->fits()) {
      t.push_bool(row, *fits);
    } else {
      t.push_null(row);
    }
  }
  t.set(root, "interrupted", interrupted);
  tree->freeze();
  return tree;
}

}  // namespace modelmeter::core
