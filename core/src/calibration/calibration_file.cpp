// Calibration files: what `calibrate` writes and runs read (docs/calibration.md, "The calibration file").
#include <toml++/toml.h>

#include <cmath>
#include <cstdio>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/errors.hpp>
#include <set>
#include <string>

namespace modelmeter::core {

namespace {

constexpr std::size_t kMaxCalibrationBytes = 1 << 20;

std::string num(double v) {
  char b[40];
  std::snprintf(b, sizeof b, "%.6g", v);
  std::string s = b;
  // TOML floats need a '.' or an exponent.
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

void stats_lines(std::string& out, const FitStats& s) {
  out += "rows = " + std::to_string(s.rows) + "\n";
  if (s.rows > 0) {
    out += "mape = " + num(s.mape) + "\n";
    out += "median_ape = " + num(s.median) + "\n";
    out += "p90_ape = " + num(s.p90) + "\n";
  }
}

struct Reader {
  const std::filesystem::path& path;
  std::string loc(const toml::node& n) const {
    return path.string() + ":" + std::to_string(n.source().begin.line) + ":" + std::to_string(n.source().begin.column);
  }
  const toml::table& table(const toml::table& root, const std::string& name) const {
    const toml::node* n = root.get(name);
    if (n == nullptr) throw InputError("calibration file '" + path.string() + "': missing section [" + name + "]");
    if (!n->is_table()) throw InputError(loc(*n) + ": '" + name + "' must be a table");
    return *n->as_table();
  }
  void only(const toml::table& t, const std::string& section, const std::set<std::string>& allowed) const {
    for (auto&& [k, n] : t) {
      (void)n;
      if (allowed.count(std::string(k.str())) == 0) {
        std::string list;
        for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
        throw InputError(path.string() + ":" + std::to_string(k.source().begin.line) + ": unknown key '" +
                         (section.empty() ? "" : section + ".") + std::string(k.str()) + "' (allowed: " + list + ")");
      }
    }
  }
  // A number in [lo, hi]; required.
  double number(const toml::table& t, const std::string& section, const char* key, double lo, double hi) const {
    const toml::node* n = t.get(key);
    const std::string full = section + "." + key;
    if (n == nullptr) throw InputError("calibration file '" + path.string() + "': missing key '" + full + "'");
    std::optional<double> v =
        n->is_integer() ? std::optional<double>(static_cast<double>(*n->value<int64_t>())) : n->value<double>();
    if (!n->is_number() || !v) throw InputError(loc(*n) + ": key '" + full + "' must be a number");
    if (!std::isfinite(*v) || *v < lo || *v > hi) {
      throw InputError(loc(*n) + ": key '" + full + "' must be in [" + num(lo) + ", " + num(hi) + "], got " + num(*v));
    }
    return *v;
  }
  std::string text(const toml::table& t, const std::string& section, const char* key, bool required) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required)
        throw InputError("calibration file '" + path.string() + "': missing key '" + section + "." + key + "'");
      return {};
    }
    if (!n->is_string()) throw InputError(loc(*n) + ": key '" + section + "." + key + "' must be a string");
    return *n->value<std::string>();
  }
  FitStats stats(const toml::table& t, const std::string& section) const {
    FitStats s;
    s.rows = static_cast<std::size_t>(number(t, section, "rows", 0, 1e9));
    if (s.rows > 0) {
      s.mape = number(t, section, "mape", 0, 1e6);
      s.median = number(t, section, "median_ape", 0, 1e6);
      s.p90 = number(t, section, "p90_ape", 0, 1e6);
    }
    return s;
  }
};

Calibration from_table(const std::filesystem::path& path, const toml::table& root) {
  const Reader r{path};
  std::set<std::string> sections{"calibration", "all_reduce"};
  for (std::size_t k = 0; k < kKernelKinds; ++k) sections.insert(kernel_kind_name(static_cast<KernelKind>(k)));
  r.only(root, "", sections);
  Calibration c;
  c.path = path;
  c.name = path.stem().string();
  const toml::table& head = r.table(root, "calibration");
  r.only(head, "calibration", {"hardware", "note", "measured", "rows", "mape", "median_ape", "p90_ape"});
  c.hardware = r.text(head, "calibration", "hardware", true);
  c.note = r.text(head, "calibration", "note", false);
  if (const toml::node* m = head.get("measured")) {
    if (!m->is_array()) throw InputError(r.loc(*m) + ": key 'calibration.measured' must be an array of file names");
    for (const toml::node& e : *m->as_array()) {
      if (!e.is_string()) throw InputError(r.loc(e) + ": key 'calibration.measured' must hold strings");
      c.measured.push_back(*e.value<std::string>());
    }
  }
  c.overall = r.stats(head, "calibration");
  const auto kind_head = [&](KernelKind k, const toml::table& t, std::set<std::string> keys) {
    keys.insert({"source", "rows", "mape", "median_ape", "p90_ape"});
    const std::string name = kernel_kind_name(k);
    r.only(t, name, keys);
    KindFit& f = c.fit[static_cast<std::size_t>(k)];
    f.source = r.text(t, name, "source", true);
    f.stats = r.stats(t, name);
  };
  {
    const toml::table& t = r.table(root, "matmul");
    kind_head(KernelKind::Matmul, t,
              {"eta_compute", "eta_memory", "latency_us", "blend", "wave_overhead_us", "cache_gain"});
    c.matmul.eta_compute = r.number(t, "matmul", "eta_compute", 1e-3, 1);
    c.matmul.eta_memory = r.number(t, "matmul", "eta_memory", 1e-3, 1);
    c.matmul.latency_us = r.number(t, "matmul", "latency_us", 0, 1e4);
    c.matmul.blend = r.number(t, "matmul", "blend", 1, 64);
    c.matmul.wave_overhead_us = r.number(t, "matmul", "wave_overhead_us", 0, 1e4);
    c.matmul.cache_gain = r.number(t, "matmul", "cache_gain", 0, 0.95);
  }
  for (KernelKind k : {KernelKind::RmsNorm, KernelKind::SiluMul, KernelKind::Gelu, KernelKind::Rotary, KernelKind::Add,
                       KernelKind::Embedding}) {
    const std::string name = kernel_kind_name(k);
    const toml::table& t = r.table(root, name);
    kind_head(k, t, {"latency_us", "bandwidth_efficiency", "cache_gain"});
    MemoryParams& p = c.memory[static_cast<std::size_t>(k)];
    p.latency_us = r.number(t, name, "latency_us", 0, 1e4);
    p.eta = r.number(t, name, "bandwidth_efficiency", 1e-3, 1);
    p.cache_gain = r.number(t, name, "cache_gain", 0, 0.95);
  }
  {
    const toml::table& t = r.table(root, "all_reduce");
    kind_head(KernelKind::AllReduce, t,
              {"latency_us", "step_latency_us", "link_efficiency", "network_latency_us", "network_efficiency"});
    AllReduceParams& p = c.all_reduce;
    p.latency_us = r.number(t, "all_reduce", "latency_us", 0, 1e6);
    p.step_latency_us = r.number(t, "all_reduce", "step_latency_us", 0, 1e6);
    p.link_efficiency = r.number(t, "all_reduce", "link_efficiency", 1e-3, 1);
    p.network_latency_us = r.number(t, "all_reduce", "network_latency_us", 0, 1e6);
    p.network_efficiency = r.number(t, "all_reduce", "network_efficiency", 1e-3, 1);
  }
  return c;
}

[[noreturn]] void malformed(const std::filesystem::path& path, const toml::parse_error& e) {
  throw InputError("calibration file " + path.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                   std::to_string(e.source().begin.column) + ": malformed TOML: " + std::string(e.description()));
}

}  // namespace

Calibration parse_calibration(std::string_view text, const std::filesystem::path& path) {
  if (text.size() > kMaxCalibrationBytes)
    throw InputError("calibration file '" + path.string() + "' is larger than 1 MiB");
  toml::table root;
  try {
    root = toml::parse(text, path.string());
  } catch (const toml::parse_error& e) {
    malformed(path, e);
  }
  return from_table(path, root);
}

Calibration load_calibration(const std::filesystem::path& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st)) throw InputError("calibration file '" + path.string() + "' does not exist");
  if (!std::filesystem::is_regular_file(st)) {
    throw InputError("calibration file '" + path.string() + "' is not a regular file");
  }
  if (std::filesystem::file_size(path, ec) > kMaxCalibrationBytes || ec) {
    throw InputError("calibration file '" + path.string() + "' is larger than 1 MiB");
  }
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    malformed(path, e);
  }
  return from_table(path, root);
}

std::string calibration_toml(const Calibration& c) {
  std::string o;
  o += "# ModelMeter calibration: parameters of the kernel time model (docs/calibration.md), fitted by\n";
  o += "# `modelmeter calibrate`. Errors are fractions (0.08 = 8%) over the rows each section was fitted on.\n\n";
  o += "[calibration]\n";
  o += "hardware = " + quoted(c.hardware) + "\n";
  if (!c.note.empty()) o += "note = " + quoted(c.note) + "\n";
  o += "measured = [";
  for (std::size_t i = 0; i < c.measured.size(); ++i) o += (i ? ", " : "") + quoted(c.measured[i]);
  o += "]\n";
  stats_lines(o, c.overall);
  const auto head = [&](KernelKind k) {
    const KindFit& f = c.fit[static_cast<std::size_t>(k)];
    o += "\n[" + std::string(kernel_kind_name(k)) + "]\n";
    o += "source = " + quoted(f.source) + "\n";
    stats_lines(o, f.stats);
  };
  head(KernelKind::Matmul);
  o += "eta_compute = " + num(c.matmul.eta_compute) + "        # fraction of the Tensor-Core peak per full wave\n";
  o += "eta_memory = " + num(c.matmul.eta_memory) + "         # fraction of DRAM bandwidth (weights, A, C)\n";
  o += "latency_us = " + num(c.matmul.latency_us) + "         # per launch\n";
  o += "blend = " + num(c.matmul.blend) + "              # p-norm joining compute and memory time\n";
  o += "wave_overhead_us = " + num(c.matmul.wave_overhead_us) + "   # per wave of tiles\n";
  o += "cache_gain = " + num(c.matmul.cache_gain) + "         # share of memory time saved when small next to L2\n";
  for (KernelKind k : {KernelKind::RmsNorm, KernelKind::SiluMul, KernelKind::Gelu, KernelKind::Rotary, KernelKind::Add,
                       KernelKind::Embedding}) {
    head(k);
    const MemoryParams& p = c.memory[static_cast<std::size_t>(k)];
    o += "latency_us = " + num(p.latency_us) + "\n";
    o += "bandwidth_efficiency = " + num(p.eta) + "\n";
    o += "cache_gain = " + num(p.cache_gain) + "\n";
  }
  head(KernelKind::AllReduce);
  o += "latency_us = " + num(c.all_reduce.latency_us) + "\n";
  o += "step_latency_us = " + num(c.all_reduce.step_latency_us) + "\n";
  o += "link_efficiency = " + num(c.all_reduce.link_efficiency) + "\n";
  o += "network_latency_us = " + num(c.all_reduce.network_latency_us) + "\n";
  o += "network_efficiency = " + num(c.all_reduce.network_efficiency) + "\n";
  return o;
}

}  // namespace modelmeter::core
