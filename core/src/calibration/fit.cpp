// Fitting the kernel time model to measurements (docs/calibration.md, "How fitting works"): per kernel kind,
// Nelder–Mead on the mean squared log error, parameters in log space (so they stay positive), from fixed
// starting points, restarted from the best point: deterministic for the same rows.
#include <algorithm>
#include <cmath>
#include <functional>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <numeric>
#include <vector>

#include "kernel_model.hpp"

namespace modelmeter::core {

namespace {

using Vec = std::vector<double>;

// Minimises f from x0 with initial steps `step`; `iterations` bounds the work.
Vec nelder_mead(const std::function<double(const Vec&)>& f, Vec x0, const Vec& step, int iterations) {
  const std::size_t n = x0.size();
  std::vector<Vec> pts{x0};
  for (std::size_t i = 0; i < n; ++i) {
    Vec p = x0;
    p[i] += step[i];
    pts.push_back(std::move(p));
  }
  Vec vals(n + 1);
  for (std::size_t i = 0; i <= n; ++i) vals[i] = f(pts[i]);
  std::vector<std::size_t> order(n + 1);
  for (int it = 0; it < iterations; ++it) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return vals[a] < vals[b]; });
    std::vector<Vec> sp;
    Vec sv;
    for (std::size_t i : order) {
      sp.push_back(pts[i]);
      sv.push_back(vals[i]);
    }
    pts = std::move(sp);
    vals = std::move(sv);
    if (vals[n] - vals[0] < 1e-12 * (1 + std::fabs(vals[0]))) break;
    Vec c(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < n; ++j) c[j] += pts[i][j] / static_cast<double>(n);
    auto along = [&](double t) {
      Vec x(n);
      for (std::size_t j = 0; j < n; ++j) x[j] = c[j] + t * (pts[n][j] - c[j]);
      return x;
    };
    const Vec xr = along(-1);
    const double fr = f(xr);
    if (fr < vals[0]) {
      const Vec xe = along(-2);
      const double fe = f(xe);
      if (fe < fr) {
        pts[n] = xe;
        vals[n] = fe;
      } else {
        pts[n] = xr;
        vals[n] = fr;
      }
    } else if (fr < vals[n - 1]) {
      pts[n] = xr;
      vals[n] = fr;
    } else {
      const Vec xc = along(0.5);
      const double fc = f(xc);
      if (fc < vals[n]) {
        pts[n] = xc;
        vals[n] = fc;
      } else {
        for (std::size_t i = 1; i <= n; ++i) {
          for (std::size_t j = 0; j < n; ++j) pts[i][j] = pts[0][j] + 0.5 * (pts[i][j] - pts[0][j]);
          vals[i] = f(pts[i]);
        }
      }
    }
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i <= n; ++i)
    if (vals[i] < vals[best]) best = i;
  return pts[best];
}

// Fits from x0 with two restarts from the best point (Nelder–Mead stalls on flat stretches).
Vec minimise(const std::function<double(const Vec&)>& f, const Vec& x0, double step, int iterations = 800) {
  Vec x = x0;
  for (int round = 0; round < 3; ++round) x = nelder_mead(f, x, Vec(x0.size(), step / (1 + round)), iterations);
  return x;
}

double log_error(double predicted, double measured) {
  if (!(predicted > 0) || !std::isfinite(predicted)) return 1e6;
  const double e = std::log(predicted / measured);
  return e * e;
}

struct Row {
  KernelShape shape;
  double measured_s;
  MatmulTiles tiles{};  // a matmul row's tile and wave counts: no fitted parameter changes them
};

Row make_row(const Hardware& hw, KernelShape shape, double measured_s) {
  Row r{shape, measured_s};
  if (shape.kind == KernelKind::Matmul) r.tiles = matmul_tiles(hw, shape);
  return r;
}

// kernel_time of the row, with its tiles counted once instead of on every trial of the fit.
double row_time(const Hardware& hw, const Calibration& c, const Row& r) {
  return r.shape.kind == KernelKind::Matmul ? matmul_time(hw, c.matmul, r.shape, r.tiles).time_s
                                            : kernel_time(hw, c, r.shape).time_s;
}

FitStats stats_of(const Hardware& hw, const Calibration& c, const std::vector<Row>& rows) {
  std::vector<std::pair<double, double>> pm;
  pm.reserve(rows.size());
  for (const Row& r : rows) pm.emplace_back(row_time(hw, c, r), r.measured_s);
  return error_stats(pm);
}

double mean_log_error(const Hardware& hw, const Calibration& c, const std::vector<Row>& rows) {
  double sum = 0;
  for (const Row& r : rows) sum += log_error(row_time(hw, c, r), r.measured_s);
  return sum / static_cast<double>(rows.size());
}

void fit_matmul(const Hardware& hw, Calibration& c, const std::vector<Row>& rows) {
  auto apply = [&](const Vec& x, Calibration& into) {
    into.matmul.eta_compute = std::exp(x[0]);
    into.matmul.eta_memory = std::exp(x[1]);
    into.matmul.latency_us = std::exp(x[2]);
    into.matmul.blend = 1 + std::exp(x[3]);
    into.matmul.wave_overhead_us = std::exp(x[4]);
    into.matmul.cache_gain = 0.95 / (1 + std::exp(-x[5]));  // logistic: (0, 0.95)
  };
  Calibration trial = c;
  auto f = [&](const Vec& x) {
    if (x[0] > std::log(1.0) || x[1] > std::log(1.0) || x[3] > std::log(64.0)) return 1e6;  // beyond the peaks
    apply(x, trial);
    return mean_log_error(hw, trial, rows);
  };
  const Vec x = minimise(f, {std::log(0.7), std::log(0.8), std::log(5.0), std::log(2.0), std::log(0.5), 0.0}, 0.5);
  apply(x, c);
}

void fit_memory(const Hardware& hw, Calibration& c, KernelKind kind, const std::vector<Row>& rows) {
  MemoryParams& p = c.memory[static_cast<std::size_t>(kind)];
  Calibration trial = c;
  MemoryParams& tp = trial.memory[static_cast<std::size_t>(kind)];
  auto apply = [](const Vec& x, MemoryParams& into) {
    into.latency_us = std::exp(x[0]);
    into.eta = std::exp(x[1]);
    into.cache_gain = 0.95 / (1 + std::exp(-x[2]));  // logistic: (0, 0.95)
  };
  auto f = [&](const Vec& x) {
    if (x[1] > std::log(1.0)) return 1e6;  // DRAM bandwidth caps η
    apply(x, tp);
    return mean_log_error(hw, trial, rows);
  };
  apply(minimise(f, {std::log(3.0), std::log(0.6), 0.0}, 0.5), p);
}

void fit_all_reduce(const Hardware& hw, Calibration& c, const std::vector<Row>& intra, const std::vector<Row>& inter) {
  AllReduceParams& p = c.all_reduce;
  Calibration trial = c;
  if (!intra.empty()) {
    auto f = [&](const Vec& x) {
      if (x[2] > std::log(1.0)) return 1e6;
      trial.all_reduce.latency_us = std::exp(x[0]);
      trial.all_reduce.step_latency_us = std::exp(x[1]);
      trial.all_reduce.link_efficiency = std::exp(x[2]);
      return mean_log_error(hw, trial, intra);
    };
    const Vec x = minimise(f, {std::log(8.0), std::log(1.0), std::log(0.7)}, 0.5);
    p.latency_us = std::exp(x[0]);
    p.step_latency_us = std::exp(x[1]);
    p.link_efficiency = std::exp(x[2]);
    trial.all_reduce = p;
  }
  if (!inter.empty()) {
    auto f = [&](const Vec& x) {
      if (x[1] > std::log(1.0)) return 1e6;
      trial.all_reduce.network_latency_us = std::exp(x[0]);
      trial.all_reduce.network_efficiency = std::exp(x[1]);
      return mean_log_error(hw, trial, inter);
    };
    const Vec x = minimise(f, {std::log(20.0), std::log(0.5)}, 0.5);
    p.network_latency_us = std::exp(x[0]);
    p.network_efficiency = std::exp(x[1]);
  }
}

// Rounds a fitted value to 6 significant digits, so the file states exactly what runs use.
double round6(double v) {
  if (v == 0 || !std::isfinite(v)) return v;
  const double scale = std::pow(10.0, 5 - std::floor(std::log10(std::fabs(v))));
  return std::round(v * scale) / scale;
}

void round_params(Calibration& c) {
  for (double* v :
       {&c.matmul.eta_compute, &c.matmul.eta_memory, &c.matmul.latency_us, &c.matmul.blend, &c.matmul.wave_overhead_us,
        &c.matmul.cache_gain, &c.all_reduce.latency_us, &c.all_reduce.step_latency_us, &c.all_reduce.link_efficiency,
        &c.all_reduce.network_latency_us, &c.all_reduce.network_efficiency}) {
    *v = round6(*v);
  }
  for (MemoryParams& m : c.memory) {
    m.latency_us = round6(m.latency_us);
    m.eta = round6(m.eta);
    m.cache_gain = round6(m.cache_gain);
  }
}

}  // namespace

FitStats error_stats(const std::vector<std::pair<double, double>>& pm) {
  FitStats s;
  s.rows = pm.size();
  if (pm.empty()) return s;
  std::vector<double> e;
  e.reserve(pm.size());
  double sum = 0;
  for (const auto& [p, m] : pm) {
    e.push_back(std::fabs(p - m) / m);
    sum += e.back();
  }
  std::sort(e.begin(), e.end());
  s.mape = sum / static_cast<double>(e.size());
  const auto at = [&](double q) {  // nearest rank
    const auto i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(e.size()))) - 1;
    return e[std::min(i, e.size() - 1)];
  };
  s.median = at(0.5);
  s.p90 = at(0.9);
  return s;
}

Calibration fit_calibration(const Hardware& hw, const MeasurementSet& set) {
  Calibration c;
  c.name = hw.id;
  c.hardware = hw.id;
  for (const auto& f : set.files) c.measured.push_back(f.filename().string());
  std::array<std::vector<Row>, kKernelKinds> by_kind;
  std::vector<Row> inter;
  std::size_t rows = 0;
  for (const Measurement& m : set.rows) {
    if (m.hardware != hw.id) continue;
    ++rows;
    Row r = make_row(hw, measurement_kernel(m), m.measured_us * 1e-6);
    if (m.op == KernelKind::AllReduce && m.nodes > 1) {
      inter.push_back(std::move(r));
    } else {
      by_kind[static_cast<std::size_t>(m.op)].push_back(std::move(r));
    }
  }
  if (rows == 0) {
    throw InputError("no measurement row has hardware '" + hw.id + "' (calibrate fits one profile at a time)");
  }
  // Starting values for kinds without rows; replaced below where rows exist.
  for (MemoryParams& m : c.memory) m = MemoryParams{3, 0.6, 0};
  const auto idx = [](KernelKind k) { return static_cast<std::size_t>(k); };
  if (!by_kind[idx(KernelKind::Matmul)].empty()) {
    fit_matmul(hw, c, by_kind[idx(KernelKind::Matmul)]);
    c.fit[idx(KernelKind::Matmul)].source = "fitted";
  } else {
    c.fit[idx(KernelKind::Matmul)].source = "not fitted (no matmul rows): vendor peaks, no latency";
  }
  for (KernelKind k : {KernelKind::RmsNorm, KernelKind::SiluMul, KernelKind::Gelu, KernelKind::Rotary, KernelKind::Add,
                       KernelKind::Embedding}) {
    if (by_kind[idx(k)].empty()) continue;
    fit_memory(hw, c, k, by_kind[idx(k)]);
    c.fit[idx(k)].source = "fitted";
  }
  // Kinds without rows borrow the closest measured kind: activations from each other, the rest from add.
  const auto borrow = [&](KernelKind k, std::initializer_list<KernelKind> from) {
    if (!c.fit[idx(k)].source.empty()) return;
    for (KernelKind f : from) {
      if (c.fit[idx(f)].source == "fitted") {
        c.memory[idx(k)] = c.memory[idx(f)];
        c.fit[idx(k)].source =
            std::string("borrowed from ") + kernel_kind_name(f) + " (no " + kernel_kind_name(k) + " rows)";
        return;
      }
    }
    c.fit[idx(k)].source = std::string("not fitted (no ") + kernel_kind_name(k) +
                           " rows, nothing to borrow from): 60% of bandwidth, 3 us latency";
  };
  borrow(KernelKind::Gelu, {KernelKind::SiluMul, KernelKind::Add, KernelKind::RmsNorm});
  borrow(KernelKind::SiluMul, {KernelKind::Gelu, KernelKind::Add, KernelKind::RmsNorm});
  borrow(KernelKind::RmsNorm, {KernelKind::Add, KernelKind::SiluMul});
  borrow(KernelKind::Add, {KernelKind::RmsNorm, KernelKind::SiluMul});
  borrow(KernelKind::Rotary, {KernelKind::Add, KernelKind::RmsNorm});
  borrow(KernelKind::Embedding, {KernelKind::Add, KernelKind::RmsNorm});
  const auto& intra = by_kind[idx(KernelKind::AllReduce)];
  c.all_reduce = AllReduceParams{10, 1, 0.7, 20, 0.5};
  if (!intra.empty() || !inter.empty()) {
    fit_all_reduce(hw, c, intra, inter);
    c.fit[idx(KernelKind::AllReduce)].source =
        std::string("fitted") + (intra.empty()   ? " (network only; link parameters not fitted: no one-node rows)"
                                 : inter.empty() ? " (one node only; network parameters not fitted: no multi-node rows)"
                                                 : "");
  } else {
    c.fit[idx(KernelKind::AllReduce)].source = "not fitted (no all_reduce rows): defaults";
  }
  round_params(c);
  // In-sample errors, with the rounded parameters the file will hold.
  std::vector<std::pair<double, double>> all;
  for (std::size_t k = 0; k < kKernelKinds; ++k) {
    std::vector<Row> rs = by_kind[k];
    if (static_cast<KernelKind>(k) == KernelKind::AllReduce) rs.insert(rs.end(), inter.begin(), inter.end());
    if (rs.empty()) continue;
    c.fit[k].stats = stats_of(hw, c, rs);
    for (const Row& r : rs) all.emplace_back(row_time(hw, c, r), r.measured_s);
  }
  c.overall = error_stats(all);
  return c;
}

Calibration derive_calibration(const Calibration& from, const Hardware& from_hw, const Hardware& hw) {
  if (from_hw.sm_count != hw.sm_count || !(hw.sm_count > 0)) {
    throw InputError("cannot derive a calibration for '" + hw.id + "' from '" + from.name +
                     "': their [chip] sm_count differ (" + std::to_string(static_cast<long long>(hw.sm_count)) +
                     " vs " + std::to_string(static_cast<long long>(from_hw.sm_count)) + "); measure it instead");
  }
  Calibration c = from;
  c.name = hw.id;
  c.hardware = hw.id;
  c.path.clear();
  c.overall = FitStats{};
  c.note = "derived from calibration '" + from.name + "' (" + from_hw.name + ") for " + hw.name +
           ": same chip and SM count, so compute and latency parameters are carried over; memory parameters are "
           "fractions of bandwidth, so they apply to this profile's bandwidth as they are. Not fitted on "
           "measurements of this GPU: its error is not known.";
  for (KindFit& f : c.fit) {
    f.source = "derived from " + from.name + " (" + f.source + ")";
    f.stats = FitStats{};
  }
  return c;
}

}  // namespace modelmeter::core
