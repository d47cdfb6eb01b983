// `calibrate` and `validate`: fitting the kernel time model to measured kernel times, and stating its error
// (docs/calibration.md).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/output.hpp>
#include <sstream>
#include <string>
#include <tuple>

#include "commands.hpp"
#include "resources.hpp"

namespace modelmeter::host {

namespace fs = std::filesystem;
using core::InputError;

namespace {

// Writes `text` to `path` atomically (a temporary in its folder, then a rename).
void write_file_atomically(const std::string& path, const std::string& text) {
  const fs::path p(path);
  if (p.filename().empty() || p.filename() == "." || p.filename() == "..") {
    throw InputError("--out/--json '" + path + "' must name a file");
  }
  mm_output out;
  out.writer = "modelmeter";
  out.files.emplace_back(p.filename().string(), text);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  core::commit_outputs(dir, {&out});
}

std::string pct(double f) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", f * 100);
  return b;
}

std::string shape_text(const core::Measurement& m) {
  char b[128];
  if (m.op == core::KernelKind::AllReduce) {
    std::snprintf(b, sizeof b, "%.0f B on %u GPUs/%u nodes", m.bytes, m.gpus, m.nodes);
  } else if (m.op == core::KernelKind::Matmul) {
    std::snprintf(b, sizeof b, "m=%.0f n=%.0f k=%.0f", m.m, m.n, m.k);
  } else {
    std::snprintf(b, sizeof b, "m=%.0f n=%.0f", m.m, m.n);
  }
  return b;
}

core::MeasurementSet read_all(const std::vector<std::string>& files) {
  if (files.empty()) throw core::Failure(kExitUsage, "needs at least one --measured FILE.csv");
  core::MeasurementSet set;
  for (const auto& f : files) core::read_measurements(f, set);
  return set;
}

std::string json_number(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

// Cross-validation folds (docs/calibration.md, "Error"): each row's fold in 0..3. "tokens": the distinct token
// counts (all_reduce: buffer sizes) of each (hardware, op, shape) cut into 4 contiguous ranges; "shapes": whole
// shapes (matmul n×k, silu_mul and rotary n, all_reduce GPUs×nodes) dealt round-robin, and token ranges for the
// ops measured at one shape only (rmsnorm, add, embedding).
std::vector<int> folds_of(const core::MeasurementSet& set, const std::string& scheme) {
  using Key = std::tuple<std::string, int, double, double, uint32_t, uint32_t>;
  const auto shape_key = [](const core::Measurement& m) {
    return Key{m.hardware, static_cast<int>(m.op), m.n, m.k, m.gpus, m.nodes};
  };
  const auto size_of = [](const core::Measurement& m) { return m.op == core::KernelKind::AllReduce ? m.bytes : m.m; };
  std::map<Key, std::vector<double>> sizes;                        // per shape: its distinct sizes
  std::map<std::pair<std::string, int>, std::vector<Key>> shapes;  // per (hardware, op): its shapes
  for (const auto& m : set.rows) {
    sizes[shape_key(m)].push_back(size_of(m));
    shapes[{m.hardware, static_cast<int>(m.op)}].push_back(shape_key(m));
  }
  for (auto& [k, v] : sizes) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  for (auto& [k, v] : shapes) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
  std::vector<int> folds;
  folds.reserve(set.rows.size());
  for (const auto& m : set.rows) {
    const auto& sh = shapes[{m.hardware, static_cast<int>(m.op)}];
    if (scheme == "shapes" && sh.size() > 1) {
      folds.push_back(static_cast<int>((std::lower_bound(sh.begin(), sh.end(), shape_key(m)) - sh.begin()) % 4));
      continue;
    }
    const auto& v = sizes[shape_key(m)];
    const auto i = static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), size_of(m)) - v.begin());
    folds.push_back(static_cast<int>(i * 4 / v.size()));
  }
  return folds;
}

}  // namespace

int cmd_calibrate(const CalibrateOptions& o) {
  const core::Hardware hw = core::load_hardware(config_file(o.hardware, "hardware", "hardware"));
  core::Calibration c;
  if (!o.from.empty()) {
    if (!o.measured.empty()) {
      throw core::Failure(kExitUsage, "calibrate: give either --measured (fit) or --from (derive), not both");
    }
    const core::Calibration from = core::load_calibration(config_file(o.from, "calibrations", "calibration"));
    const core::Hardware from_hw = core::load_hardware(config_file(from.hardware, "hardware", "hardware"));
    c = core::derive_calibration(from, from_hw, hw);
  } else {
    const core::MeasurementSet set = read_all(o.measured);
    c = core::fit_calibration(hw, set);
  }
  write_file_atomically(o.out, core::calibration_toml(c));
  std::cout << "calibration for " << hw.id << ": ";
  if (c.overall.rows > 0) {
    std::cout << c.overall.rows << " rows, in-sample MAPE " << pct(c.overall.mape) << "\n";
    for (std::size_t k = 0; k < core::kKernelKinds; ++k) {
      const auto& f = c.fit[k];
      if (f.stats.rows == 0) continue;
      char line[160];
      std::snprintf(line, sizeof line, "  %-10s %7zu rows  MAPE %6s  median %6s  p90 %6s\n",
                    core::kernel_kind_name(static_cast<core::KernelKind>(k)), f.stats.rows, pct(f.stats.mape).c_str(),
                    pct(f.stats.median).c_str(), pct(f.stats.p90).c_str());
      std::cout << line;
    }
  } else {
    std::cout << "derived from " << o.from << " (not fitted on this GPU's measurements)\n";
  }
  std::cout << "wrote " << o.out << "\n";
  return kExitOk;
}

int cmd_validate(const ValidateOptions& o) {
  const core::MeasurementSet set = read_all(o.measured);
  // Hardware profiles and calibrations by the rows' hardware column, loaded once each.
  struct Target {
    core::Hardware hw;
    std::shared_ptr<const core::Calibration> cal;
  };
  std::map<std::string, Target> targets;
  std::shared_ptr<const core::Calibration> forced;  // --calibration NAME|FILE
  const bool none = o.calibration == "none";
  const bool cross = !o.cross_validate.empty();
  if (cross && !o.calibration.empty()) {
    throw core::Failure(kExitUsage, "validate: --cross-validate fits its own calibrations; drop --calibration");
  }
  // --cross-validate: per hardware, one calibration per fold, fitted on the rows of the other folds.
  std::vector<int> folds;
  std::map<std::string, std::array<std::shared_ptr<const core::Calibration>, 4>> fold_cal;
  if (cross) folds = folds_of(set, o.cross_validate);
  if (!o.calibration.empty() && !none) {
    forced = std::make_shared<const core::Calibration>(
        core::load_calibration(config_file(o.calibration, "calibrations", "calibration")));
  }
  struct Acc {
    std::vector<std::pair<double, double>> cal, roof;
  };
  std::map<std::pair<std::string, std::string>, Acc> by;  // (hardware, op)
  std::map<std::string, Acc> by_op;
  Acc all;
  struct Worst {
    double error;
    const core::Measurement* row;
    double predicted;
  };
  std::vector<Worst> worst;
  for (const core::Measurement& m : set.rows) {
    if (!o.hardware.empty() && m.hardware != o.hardware) continue;
    const std::string where = set.files[m.file].string() + ":" + std::to_string(m.line);
    auto it = targets.find(m.hardware);
    if (it == targets.end()) {
      Target t;
      try {
        t.hw = core::load_hardware(config_file(m.hardware, "hardware", "hardware"));
      } catch (const InputError& e) {
        throw InputError(where + ": column 'hardware': " + e.what());
      }
      if (cross) {
        auto& cals = fold_cal[m.hardware];
        for (int f = 0; f < 4; ++f) {
          core::MeasurementSet train;
          train.files = set.files;
          for (std::size_t r = 0; r < set.rows.size(); ++r) {
            if (folds[r] != f && set.rows[r].hardware == m.hardware) train.rows.push_back(set.rows[r]);
          }
          cals[static_cast<std::size_t>(f)] =
              std::make_shared<const core::Calibration>(core::fit_calibration(t.hw, train));
        }
      } else if (forced) {
        if (forced->hardware != t.hw.id) {
          throw InputError(where + ": row of hardware '" + m.hardware + "', but calibration '" + forced->name +
                           "' was fitted for '" + forced->hardware + "' (use --hardware " + forced->hardware +
                           " to keep only its rows)");
        }
        t.cal = forced;
      } else if (!none) {
        t.cal = resolve_calibration(t.hw, "");
        if (!t.cal) {
          throw InputError(where + ": hardware '" + m.hardware +
                           "' has no bundled calibration; give one with --calibration FILE (or none)");
        }
      }
      it = targets.emplace(m.hardware, std::move(t)).first;
    }
    const Target& t = it->second;
    const core::KernelShape shape = core::measurement_kernel(m);
    const core::Calibration* cal = t.cal.get();
    if (cross)
      cal = fold_cal[m.hardware][static_cast<std::size_t>(folds[static_cast<std::size_t>(&m - set.rows.data())])].get();
    double predicted, roofline;
    try {
      roofline = core::roofline_kernel_time(t.hw, shape);
      predicted = cal != nullptr ? core::kernel_time(t.hw, *cal, shape).time_s : roofline;
    } catch (const InputError& e) {
      throw InputError(where + ": " + e.what());
    }
    const double measured = m.measured_us * 1e-6;
    const std::string op = core::kernel_kind_name(m.op);
    for (Acc* a : {&by[{m.hardware, op}], &by_op[op], &all}) {
      a->cal.emplace_back(predicted, measured);
      a->roof.emplace_back(roofline, measured);
    }
    worst.push_back({std::fabs(predicted - measured) / measured, &m, predicted});
  }
  if (all.cal.empty()) {
    throw InputError("no measurement row" +
                     (o.hardware.empty() ? std::string() : " has hardware '" + o.hardware + "'"));
  }
  std::ostringstream out;
  out << "validate: " << all.cal.size() << " rows; time model: "
      << (cross ? "cross-validated (" + o.cross_validate +
                      "): each row predicted by a calibration fitted without its fold"
          : none   ? std::string("roofline (--calibration none)")
          : forced ? "calibration " + forced->name
                   : std::string("the bundled calibration of each row's hardware"))
      << "; errors are absolute percentage errors\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %-10s %7s | %8s %8s %8s | %8s %8s %8s\n", "hardware", "op", "rows", "MAPE",
                "median", "p90", "roof.MAPE", "median", "p90");
  out << line;
  const auto row_line = [&](const std::string& hw, const std::string& op, const Acc& a) {
    const core::FitStats c = core::error_stats(a.cal), r = core::error_stats(a.roof);
    std::snprintf(line, sizeof line, "%-10s %-10s %7zu | %8s %8s %8s | %8s %8s %8s\n", hw.c_str(), op.c_str(), c.rows,
                  pct(c.mape).c_str(), pct(c.median).c_str(), pct(c.p90).c_str(), pct(r.mape).c_str(),
                  pct(r.median).c_str(), pct(r.p90).c_str());
    out << line;
  };
  for (const auto& [key, a] : by) row_line(key.first, key.second, a);
  row_line("all", "all", all);
  std::partial_sort(
      worst.begin(), worst.begin() + std::min<std::ptrdiff_t>(5, std::ssize(worst)), worst.end(),
      [](const Worst& a, const Worst& b) { return a.error > b.error || (a.error == b.error && a.row < b.row); });
  out << "worst rows:\n";
  for (std::size_t i = 0; i < std::min<std::size_t>(5, worst.size()); ++i) {
    const Worst& w = worst[i];
    std::snprintf(line, sizeof line, "  %s:%zu  %s %s %s: measured %.1f us, predicted %.1f us (%s)\n",
                  set.files[w.row->file].filename().c_str(), w.row->line, w.row->hardware.c_str(),
                  core::kernel_kind_name(w.row->op), shape_text(*w.row).c_str(), w.row->measured_us, w.predicted * 1e6,
                  pct(w.error).c_str());
    out << line;
  }
  if (!o.json.empty()) {
    const core::FitStats c = core::error_stats(all.cal), r = core::error_stats(all.roof);
    std::string j = "{\"rows\": " + std::to_string(c.rows) + ", \"mape\": " + json_number(c.mape) +
                    ", \"roofline_mape\": " + json_number(r.mape) + ", \"by_op\": {";
    bool first = true;
    for (const auto& [op, a] : by_op) {
      const core::FitStats oc = core::error_stats(a.cal), orf = core::error_stats(a.roof);
      j += std::string(first ? "" : ", ") + "\"" + op + "\": {\"rows\": " + std::to_string(oc.rows) +
           ", \"mape\": " + json_number(oc.mape) + ", \"roofline_mape\": " + json_number(orf.mape) + "}";
      first = false;
    }
    j += "}}\n";
    write_file_atomically(o.json, j);
    out << "wrote " << o.json << "\n";
  }
  std::cout << out.str();
  return kExitOk;
}

}  // namespace modelmeter::host
