// The `html` writer: report.html for one run, sweep.html for a sweep. Each is one self-contained page: inline
// CSS and inline SVG charts, no script, no external asset. A report page holds the summary tables, per stage a
// log-log roofline plot of its leaf ops against the hardware's roofs, the time of each stage split by component
// and the memory bar; a sweep page holds the rows and a line chart of TTFT and TPOT against the first varied key.
//
// The output is deterministic: numbers are formatted with std::to_chars (locale-independent, fixed digits),
// everything is laid out in document order, and the only ids are derived from stage names.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <modelmeter/sdk.hpp>
#include <numbers>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace {

using modelmeter::Doc;

// ------------------------------------------------------------------------------------------------------
// Text and numbers

std::string esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// `v` with `decimals` digits after the point ("-0.0" becomes "0.0").
std::string fixed(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[512];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) return "n/a";
  std::string s(buf, r.ptr);
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

// The shortest decimal that reads back as `v`, never in exponent form for ordinary magnitudes ("0.001", "512").
std::string plain(double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[512];
  const auto r = (std::fabs(v) >= 1e-6 && std::fabs(v) < 1e15)
                     ? std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed)
                     : std::to_chars(buf, buf + sizeof buf, v);
  if (r.ec != std::errc()) return "n/a";
  return std::string(buf, r.ptr);
}

// `v` with three significant digits and an SI prefix: "3.47 TFLOP", "11.6 ms", "0 B". `trim` drops trailing
// zeros of the mantissa (axis ticks: "1 T" rather than "1.00 T").
std::string si(double v, std::string_view unit, bool trim = false) {
  if (!std::isfinite(v)) return "n/a";
  const std::string sign = v < 0 ? "-" : "";
  const double a = std::fabs(v);
  if (a == 0) return unit.empty() ? std::string("0") : "0 " + std::string(unit);
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, a, std::chars_format::scientific, 2);  // "d.dde+XX"
  const std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  const std::size_t e = sci.find('e');
  int exp = 0;
  std::from_chars(sci.data() + e + 2, sci.data() + sci.size(), exp);
  if (sci[e + 1] == '-') exp = -exp;
  const int e3 = exp >= 0 ? exp / 3 : -((-exp + 2) / 3);
  if (e3 < -5 || e3 > 6) return sign + std::string(sci) + (unit.empty() ? "" : " ") + std::string(unit);
  const std::string digits{sci[0], sci[2], sci[3]};
  const auto lead = static_cast<std::size_t>(exp - 3 * e3) + 1;  // digits before the point: 1..3
  std::string m = digits.substr(0, lead);
  if (lead < 3) {
    std::string frac = digits.substr(lead);
    if (trim) frac.erase(frac.find_last_not_of('0') + 1);
    if (!frac.empty()) m += "." + frac;
  }
  static constexpr const char* kPrefix[] = {"f", "p", "n", "\xc2\xb5", "m", "", "k", "M", "G", "T", "P", "E"};
  const std::string u = std::string(kPrefix[e3 + 5]) + std::string(unit);
  return sign + m + (u.empty() ? "" : " " + u);
}

std::string seconds(double v) {
  return si(v, "s");
}
std::string bytes(double v) {
  return si(v, "B");
}
std::string flops(double v) {
  return si(v, "FLOP");
}
std::string percent(double share) {
  if (share > 0 && share < 0.0005) return "<0.1%";
  return fixed(100.0 * share, 1) + "%";
}

std::string integer(const Doc& d) {
  if (d.type() == MM_DOC_INT) return std::to_string(d.as_int());
  return d.is_null() ? std::string("n/a") : plain(d.as_number());
}

double num(const Doc& d) {
  return d.as_number();
}  // NaN when null or absent
std::string str(const Doc& d) {
  return std::string(d.as_string());
}

// A compact, unescaped rendering of any value (workload keys, model config).
std::string compact(const Doc& d) {
  switch (d.type()) {
    case MM_DOC_NULL:
      return "unset";
    case MM_DOC_BOOL:
      return d.as_bool() ? "true" : "false";
    case MM_DOC_INT:
      return std::to_string(d.as_int());
    case MM_DOC_NUMBER:
      return plain(d.as_number());
    case MM_DOC_STRING:
      return str(d);
    case MM_DOC_ARRAY:
    case MM_DOC_OBJECT: {
      const bool obj = d.type() == MM_DOC_OBJECT;
      std::string s = obj ? "{" : "[";
      for (std::size_t i = 0; i < d.size(); ++i) {
        if (i > 0) s += ", ";
        if (obj) s += std::string(d.key(i)) + ": ";
        s += compact(d.at(i));
      }
      return s + (obj ? "}" : "]");
    }
    default:
      return "?";
  }
}

// Rough width of `s` in pixels at the 12 px SVG font (UTF-8 continuation bytes do not count).
double text_width(std::string_view s) {
  double n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return 6.6 * n;
}

// ------------------------------------------------------------------------------------------------------
// HTML helpers

struct Cell {
  std::string html;  // already escaped
  bool numeric = false;
};
Cell txt(std::string_view s) {
  return Cell{esc(s), false};
}
Cell numc(std::string_view s) {
  return Cell{esc(s), true};
}

void table(std::string& out, const std::vector<Cell>& head, const std::vector<std::vector<Cell>>& rows,
           std::string_view cls = {}) {
  out += cls.empty() ? "<table>\n" : "<table class=\"" + std::string(cls) + "\">\n";
  out += "<thead><tr>";
  for (const Cell& h : head) out += (h.numeric ? "<th class=\"num\">" : "<th>") + h.html + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : rows) {
    out += "<tr>";
    for (const Cell& c : row) out += (c.numeric ? "<td class=\"num\">" : "<td>") + c.html + "</td>";
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

// Two-column key/value table (the key is a header cell; values are left-aligned, numeric or not).
void kv_table(std::string& out, const std::vector<std::pair<std::string, Cell>>& rows) {
  out += "<table class=\"kv\">\n<tbody>\n";
  for (const auto& [k, v] : rows) {
    out += "<tr><th>" + esc(k) + "</th><td>" + v.html + "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

constexpr const char* kStyle = R"(body{margin:0;background:#eef0f3;color:#1d2330;
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1120px;margin:0 auto;padding:24px 36px 48px;background:#fff}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;margin:34px 0 10px;padding-bottom:4px;border-bottom:1px solid #dde1e7}
h3{font-size:15px;margin:20px 0 6px}
p{margin:6px 0}
.sub,.note{color:#5b6472}
.note{font-size:12px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid #e4e7ec;text-align:left;vertical-align:top}
thead th{background:#f0f2f5;font-weight:600}
table.kv th{background:#f7f8fa;font-weight:600;white-space:nowrap}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.infeasible td{color:#8a909a;background:#fbf3f3}
.scroll{overflow-x:auto}
.scroll td{white-space:nowrap}
.scroll td.reason{white-space:normal;min-width:24em}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0}
.kpi{border:1px solid #dde1e7;border-radius:6px;padding:10px 18px;min-width:160px}
.kpi .v{font-size:22px;font-weight:600}
.kpi .l{font-size:12px;color:#5b6472}
.yes{color:#1a7f37;font-weight:600}
.no{color:#c62828;font-weight:600}
.warn{background:#fff6e0;border-left:4px solid #e0a800;padding:6px 12px}
svg{display:block;max-width:100%;height:auto;margin:8px 0 4px}
svg text{font-size:12px;fill:#1d2330}
svg .axis{stroke:#1d2330;stroke-width:1}
svg .grid{stroke:#e3e6eb;stroke-width:1}
svg .roof{fill:none;stroke:#1d2330;stroke-width:2}
svg .roof.cuda{stroke:#6b7280;stroke-dasharray:7 4}
svg .op{stroke:#ffffff;stroke-width:0.8;fill-opacity:0.88}
svg .series{fill:none;stroke-width:2}
svg .dashed{stroke-dasharray:7 4}
svg text.small{font-size:11px;fill:#5b6472}
svg text.inbar{fill:#ffffff;font-size:11px}
details{margin:8px 0}
summary{cursor:pointer;font-weight:600}
)";

std::string page_head(std::string_view title) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         esc(title) + "</title>\n<style>\n" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
}
constexpr const char* kPageTail = "</main>\n</body>\n</html>\n";

// ------------------------------------------------------------------------------------------------------
// SVG helpers

// Maps values to pixels, linearly or on log10. p0 is the pixel of lo, p1 that of hi.
struct Axis {
  double lo, hi, p0, p1;
  bool log;
  double operator()(double v) const {
    const double t = log ? (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo)) : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
};

// Powers of ten in [lo, hi]; with `fine` (less than about two decades) also their 2x and 5x.
std::vector<double> log_ticks(double lo, double hi, bool fine) {
  std::vector<double> t;
  const int k0 = static_cast<int>(std::floor(std::log10(lo) + 1e-9));
  const int k1 = static_cast<int>(std::ceil(std::log10(hi) - 1e-9));
  for (int k = k0; k <= k1; ++k) {
    for (const double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && !fine) continue;
      const double v = m * std::pow(10.0, k);
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) t.push_back(v);
    }
  }
  return t;
}

// Whole decades around [lo, hi] with a little room for the markers.
std::pair<double, double> decades(double lo, double hi) {
  double a = std::pow(10.0, std::floor(std::log10(lo / 1.3)));
  double b = std::pow(10.0, std::ceil(std::log10(hi * 1.3)));
  if (b <= a) b = a * 10;
  return {a, b};
}

// A tick label: plain decimals between 0.001 and 9999, SI prefixes outside.
std::string tick_label(double v, std::string_view unit) {
  if (unit.empty() && v >= 1e-3 && v < 1e4) return plain(v);
  return si(v, unit, true);
}

struct Svg {
  std::string s;

  Svg(double w, double h, std::string_view cls, std::string_view id, std::string_view label) {
    s += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"" + std::string(cls) + "\"";
    if (!id.empty()) s += " id=\"" + std::string(id) + "\"";
    s += " width=\"" + fixed(w, 0) + "\" height=\"" + fixed(h, 0) + "\" viewBox=\"0 0 " + fixed(w, 0) + " " +
         fixed(h, 0) + "\" role=\"img\" aria-label=\"" + esc(label) + "\">\n";
  }
  static std::string p(double v) { return fixed(v, 1); }
  static std::string title(std::string_view t) { return t.empty() ? "" : "<title>" + esc(t) + "</title>"; }

  void line(double x1, double y1, double x2, double y2, std::string_view cls, std::string_view stroke = {}) {
    s += "<line class=\"" + std::string(cls) + "\" x1=\"" + p(x1) + "\" y1=\"" + p(y1) + "\" x2=\"" + p(x2) +
         "\" y2=\"" + p(y2) + "\"";
    if (!stroke.empty()) s += " stroke=\"" + std::string(stroke) + "\"";
    s += "/>\n";
  }
  void rect(double x, double y, double w, double h, std::string_view fill, std::string_view tip = {},
            std::string_view extra = {}) {
    s += "<rect x=\"" + p(x) + "\" y=\"" + p(y) + "\" width=\"" + p(w) + "\" height=\"" + p(h) + "\" fill=\"" +
         std::string(fill) + "\"" + std::string(extra);
    s += tip.empty() ? "/>\n" : ">" + title(tip) + "</rect>\n";
  }
  void text(double x, double y, std::string_view t, std::string_view anchor = "start", std::string_view cls = {},
            double rotate = 0) {
    s += "<text x=\"" + p(x) + "\" y=\"" + p(y) + "\"";
    if (anchor != "start") s += " text-anchor=\"" + std::string(anchor) + "\"";
    if (!cls.empty()) s += " class=\"" + std::string(cls) + "\"";
    if (rotate != 0) s += " transform=\"rotate(" + p(rotate) + " " + p(x) + " " + p(y) + ")\"";
    s += ">" + esc(t) + "</text>\n";
  }
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view cls, std::string_view tip,
              std::string_view stroke = {}) {
    s += "<circle class=\"" + std::string(cls) + "\" cx=\"" + p(cx) + "\" cy=\"" + p(cy) + "\" r=\"" + p(r) +
         "\" fill=\"" + std::string(fill) + "\"";
    if (!stroke.empty()) s += " stroke=\"" + std::string(stroke) + "\" stroke-width=\"1.5\"";
    s += tip.empty() ? "/>\n" : ">" + title(tip) + "</circle>\n";
  }
  void diamond(double cx, double cy, double r, std::string_view fill, std::string_view tip) {
    s += "<path d=\"M" + p(cx) + " " + p(cy - r) + "L" + p(cx + r) + " " + p(cy) + "L" + p(cx) + " " + p(cy + r) + "L" +
         p(cx - r) + " " + p(cy) + "Z\" fill=\"" + std::string(fill) + "\" stroke=\"#1d2330\" stroke-width=\"1.2\">" +
         title(tip) + "</path>\n";
  }
  void polyline(const std::vector<std::pair<double, double>>& pts, std::string_view cls, std::string_view stroke) {
    s += "<polyline class=\"" + std::string(cls) + "\" stroke=\"" + std::string(stroke) + "\" points=\"";
    for (std::size_t i = 0; i < pts.size(); ++i) s += (i ? " " : "") + p(pts[i].first) + "," + p(pts[i].second);
    s += "\"/>\n";
  }
  // A flowing legend of colour swatches from (x, y), wrapping at `right`. Returns the y below it.
  double legend(double x, double y, double right, const std::vector<std::pair<std::string, std::string>>& items) {
    double cx = x;
    for (const auto& [label, colour] : items) {
      const double w = 16 + text_width(label) + 18;
      if (cx > x && cx + w > right) {
        cx = x;
        y += 20;
      }
      rect(cx, y - 10, 11, 11, colour);
      text(cx + 16, y, label);
      cx += w;
    }
    return y + 20;
  }
  std::string done() { return std::move(s) + "</svg>\n"; }
};

// Fixed colours per operator category (document order picks colours for names not listed).
constexpr std::pair<const char*, const char*> kCategoryColours[] = {
    {"matmul", "#1f77b4"},     {"conv", "#ff7f0e"},          {"attention", "#d62728"}, {"norm", "#2ca02c"},
    {"activation", "#9467bd"}, {"elementwise", "#8c564b"},   {"embedding", "#e377c2"}, {"moe_routing", "#17becf"},
    {"positional", "#bcbd22"}, {"data_movement", "#7f7f7f"}, {"composite", "#aec7e8"},
};
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948",
                                    "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#1b9e77", "#7570b3"};

std::string category_colour(std::string_view category) {
  for (const auto& [name, colour] : kCategoryColours)
    if (category == name) return colour;
  return "#333333";
}

// Colours handed out in order of first request, so the same name keeps its colour across charts.
struct ColourMap {
  std::vector<std::pair<std::string, std::string>> assigned;
  std::string operator()(std::string_view name) {
    for (const auto& [n, c] : assigned)
      if (n == name) return c;
    const std::size_t k = assigned.size() % std::size(kPalette);
    assigned.emplace_back(std::string(name), kPalette[k]);
    return kPalette[k];
  }
};

// ------------------------------------------------------------------------------------------------------
// Roofline

struct OpPoint {
  std::string id, cls, category, bound;
  double ai, perf, time;
};

struct Roofs {
  double bandwidth = NAN;  // bytes/s, efficiency applied
  double tensor = NAN;     // FLOP/s
  double cuda = NAN;
  std::string tensor_label;
};

struct Leaves {
  std::vector<OpPoint> points;
  std::vector<std::string> no_flops;  // leaves with I/O and time but no arithmetic (cannot sit on a log axis)
  std::size_t no_io_or_time = 0;
};

void collect_leaves(const Doc& m, Leaves& out) {
  const Doc kids = m["children"];
  if (kids.size() > 0) {
    for (std::size_t i = 0; i < kids.size(); ++i) collect_leaves(kids.at(i), out);
    return;
  }
  const Doc fwd = m["forward"];
  const double fl = num(fwd["tc_flops"]) + num(fwd["cuda_flops"]);
  const double io = num(fwd["io_bytes"]);
  const double t = num(m["time_s"]);
  if (!(io > 0) || !(t > 0)) {
    ++out.no_io_or_time;
    return;
  }
  if (!(fl > 0)) {
    out.no_flops.push_back(str(m["id"]));
    return;
  }
  out.points.push_back(OpPoint{str(m["id"]), str(m["class"]), str(m["category"]), str(m["bound"]), fl / io, fl / t, t});
}

std::string roofline_svg(std::string_view stage, const Leaves& leaves, const Roofs& roofs, double stage_ai,
                         double stage_perf) {
  constexpr double W = 920, H = 470, L = 112, R = 710, T = 18, B = 410;
  const bool have_bw = roofs.bandwidth > 0, have_tc = roofs.tensor > 0, have_cuda = roofs.cuda > 0;

  double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
  auto include = [&](double x, double y) {
    if (x > 0 && std::isfinite(x)) xmin = std::min(xmin, x), xmax = std::max(xmax, x);
    if (y > 0 && std::isfinite(y)) ymin = std::min(ymin, y), ymax = std::max(ymax, y);
  };
  for (const OpPoint& o : leaves.points) include(o.ai, o.perf);
  include(stage_ai, stage_perf);
  if (have_bw && have_tc) include(roofs.tensor / roofs.bandwidth, roofs.tensor);
  if (have_bw && have_cuda) include(roofs.cuda / roofs.bandwidth, roofs.cuda);
  if (!(xmax > 0)) xmin = 0.1, xmax = 1000;
  if (!(ymax > 0)) ymin = 1e9, ymax = 1e15;
  const auto [x0, x1] = decades(xmin, xmax);
  const auto [y0, y1] = decades(ymin, ymax);
  const Axis ax{x0, x1, L, R, true}, ay{y0, y1, B, T, true};

  Svg svg(W, H, "roofline", "roofline-" + std::string(stage),
          "roofline of the " + std::string(stage) + " stage: attained FLOP/s against arithmetic intensity per op");

  // grid, ticks and axes
  for (const double v : log_ticks(x0, x1, false)) {
    svg.line(ax(v), T, ax(v), B, "grid");
    svg.text(ax(v), B + 18, tick_label(v, ""), "middle");
  }
  for (const double v : log_ticks(y0, y1, false)) {
    svg.line(L, ay(v), R, ay(v), "grid");
    svg.text(L - 8, ay(v) + 4, tick_label(v, "FLOP/s"), "end");
  }
  svg.line(L, B, R, B, "axis");
  svg.line(L, T, L, B, "axis");
  svg.text((L + R) / 2, B + 44, "arithmetic intensity (FLOP per byte of I/O, log scale)", "middle");
  svg.text(16, (T + B) / 2, "attained FLOP/s (log scale)", "middle", {}, -90);

  // the roofs: the memory diagonal up to the Tensor-Core ridge, the Tensor-Core and CUDA-core ceilings
  if (have_bw) {
    const double top = have_tc ? roofs.tensor : y1;
    const double xa = std::max(x0, y0 / roofs.bandwidth), xb = std::min(x1, top / roofs.bandwidth);
    if (xb > xa) {
      svg.line(ax(xa), ay(roofs.bandwidth * xa), ax(xb), ay(roofs.bandwidth * xb), "roof");
      // the label sits on the infeasible side (above the roof, where no op can be), a third of the way along
      const double xm = xa * std::pow(xb / xa, 0.33);
      const double angle = std::atan2(ay(roofs.bandwidth * xb) - ay(roofs.bandwidth * xa), ax(xb) - ax(xa));
      const double px = ax(xm) + 10 * std::sin(angle), py = ay(roofs.bandwidth * xm) - 10 * std::cos(angle);
      svg.text(px, py, "memory " + si(roofs.bandwidth, "B/s"), "middle", {}, angle * 180.0 / std::numbers::pi);
    }
  }
  if (have_tc) {
    const double xr = have_bw ? std::max(x0, roofs.tensor / roofs.bandwidth) : x0;
    svg.line(ax(xr), ay(roofs.tensor), R, ay(roofs.tensor), "roof");
    svg.text(R - 4, ay(roofs.tensor) - 12, roofs.tensor_label + " " + si(roofs.tensor, "FLOP/s"), "end");
  }
  if (have_cuda) {
    const double xr = have_bw ? std::max(x0, roofs.cuda / roofs.bandwidth) : x0;
    svg.line(ax(xr), ay(roofs.cuda), R, ay(roofs.cuda), "roof cuda");
    svg.text(R - 4, ay(roofs.cuda) - 12, "CUDA cores FP32 " + si(roofs.cuda, "FLOP/s"), "end", "small");
  }

  // one point per leaf op, legend by category in order of first appearance
  std::vector<std::pair<std::string, std::size_t>> seen;
  for (const OpPoint& o : leaves.points) {
    const std::string tip = o.id + " (" + o.cls + ", " + o.category + ")\nAI " + si(o.ai, "FLOP/B") + ", " +
                            si(o.perf, "FLOP/s") + "\ntime " + seconds(o.time) + ", " + o.bound + "-bound";
    svg.circle(ax(o.ai), ay(o.perf), 4.5, category_colour(o.category), "op", tip);
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& e) { return e.first == o.category; });
    if (it == seen.end())
      seen.emplace_back(o.category, 1);
    else
      ++it->second;
  }
  if (std::isfinite(stage_ai) && std::isfinite(stage_perf) && stage_ai > 0 && stage_perf > 0) {
    svg.diamond(
        ax(stage_ai), ay(stage_perf), 7, "#ffd166",
        "whole " + std::string(stage) + " stage\nAI " + si(stage_ai, "FLOP/B") + ", " + si(stage_perf, "FLOP/s"));
  }

  double ly = T + 12;
  svg.text(R + 22, ly, "operator category", "start", "small");
  ly += 20;
  for (const auto& [cat, n] : seen) {
    svg.rect(R + 22, ly - 10, 11, 11, category_colour(cat));
    svg.text(R + 39, ly, cat + " (" + std::to_string(n) + ")");
    ly += 19;
  }
  if (std::isfinite(stage_ai) && std::isfinite(stage_perf) && stage_ai > 0 && stage_perf > 0) {
    svg.diamond(R + 27.5, ly - 4.5, 6, "#ffd166", {});
    svg.text(R + 39, ly, "whole stage");
  }
  return svg.done();
}

// ------------------------------------------------------------------------------------------------------
// Bars

// Per stage, its time split by component (each bar is the stage's whole time; the total is printed at its end).
std::string component_bars_svg(const Doc& stages, ColourMap& colours) {
  constexpr double W = 920, L = 78, R = 790, row = 34, bar = 22;
  std::vector<std::pair<std::string, std::string>> legend;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Doc comps = stages.at(i)["components"];
    for (std::size_t c = 0; c < comps.size(); ++c) {
      const std::string name(comps.key(c));
      const std::string colour = colours(name);
      if (std::none_of(legend.begin(), legend.end(), [&](const auto& e) { return e.first == name; }))
        legend.emplace_back(name, colour);
    }
  }
  // legend height: lay it out once on a scratch SVG
  Svg scratch(W, 0, "", "", "");
  const double legend_end = scratch.legend(L, 0, W - 10, legend);
  const double H = 14 + row * static_cast<double>(stages.size()) + 16 + legend_end;

  Svg svg(W, H, "bars", "time-by-component", "time of each stage split by component");
  double y = 14;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string stage(stages.key(i));
    const Doc s = stages.at(i);
    const double total = num(s["time_s"]);
    svg.text(L - 8, y + bar / 2 + 4, stage, "end");
    svg.rect(L, y, R - L, bar, "#f3f4f6");
    double x = L;
    const Doc comps = s["components"];
    for (std::size_t c = 0; c < comps.size(); ++c) {
      const std::string name(comps.key(c));
      const double t = num(comps.at(c)["time_s"]);
      if (!(t > 0) || !(total > 0)) continue;
      const double w = (R - L) * t / total;
      svg.rect(x, y, w, bar, colours(name),
               stage + ": " + name + "\n" + seconds(t) + " (" + percent(t / total) + "), " + str(comps.at(c)["bound"]) +
                   "-bound");
      if (w > 46) svg.text(x + w / 2, y + bar / 2 + 4, percent(t / total), "middle", "inbar");
      x += w;
    }
    svg.text(R + 8, y + bar / 2 + 4, seconds(total));
    y += row;
  }
  svg.legend(L, y + 16, W - 10, legend);
  return svg.done();
}

// One bar of memory parts (name, bytes, colour) against the capacity.
std::string memory_parts_svg(const std::vector<std::pair<std::string, std::pair<double, const char*>>>& parts,
                             double cap, bool fits, const std::string& title) {
  constexpr double W = 920, L = 20, R = 900, y = 34, bar = 28;
  double total = 0;
  for (const auto& p : parts) total += p.second.first;
  const double scale = std::max(cap > 0 ? cap : 0.0, total > 0 ? total : 1.0);

  Svg svg(W, 112, "bars", "memory", title);
  svg.text(L, 20,
           "needed " + bytes(total) + " of " + bytes(cap) + " (" + percent(cap > 0 ? total / cap : NAN) +
               "): " + (fits ? "fits" : "does not fit"));
  svg.rect(L, y, R - L, bar, "#dfe3e8", "free: " + bytes(std::max(0.0, cap - total)), " stroke=\"#c9ced6\"");
  double x = L;
  std::vector<std::pair<std::string, std::string>> legend;
  for (const auto& [name, vc] : parts) {
    const auto& [v, colour] = vc;
    legend.emplace_back(std::string(name) + " " + bytes(v), colour);
    if (!(v > 0)) continue;
    const double w = std::max(1.0, (R - L) * v / scale);
    svg.rect(x, y, w, bar, colour, std::string(name) + ": " + bytes(v));
    x += w;
  }
  if (cap > 0) {
    const double cx = L + (R - L) * cap / scale;
    svg.line(cx, y - 6, cx, y + bar + 6, "axis", fits ? "#1d2330" : "#c62828");
    svg.text(cx - 4, y + bar + 18, "capacity " + bytes(cap), "end", "small");
  }
  legend.emplace_back("free " + bytes(std::max(0.0, cap - total)), "#dfe3e8");
  svg.legend(L, y + bar + 40, W - 10, legend);
  return svg.done();
}

std::string memory_bar_svg(const Doc& mem) {
  const double weights = num(mem["weights_bytes"]), kv = num(mem["kv_cache_bytes"]);
  const double act = num(mem["activations_peak_bytes"]), cap = num(mem["capacity_bytes"]);
  return memory_parts_svg(
      {{"weights", {weights, "#4e79a7"}}, {"KV cache", {kv, "#f28e2b"}}, {"peak activations", {act, "#e15759"}}}, cap,
      mem["fits"].as_bool(), "memory: weights, KV cache and peak activations against capacity");
}

// ------------------------------------------------------------------------------------------------------
// report.html

std::vector<Cell> metric_cells(const Doc& m) {
  return {numc(flops(num(m["tc_flops"]))), numc(flops(num(m["cuda_flops"]))), numc(bytes(num(m["io_bytes"]))),
          numc(seconds(num(m["time_s"])))};
}

std::string bound_html(const Doc& b) {
  return esc(b.is_null() ? std::string("n/a") : str(b));
}

std::string serving_html(const Doc& doc);  // below, with the plan page

// The headline figures, run, stages and memory of a generation report (vision, prefill, decode).
void generation_overview(std::string& h, const Doc& doc, ColourMap& colours, std::vector<std::vector<Cell>>& rows) {
  const Doc summary = doc["summary"], hw = doc["hardware"], prec = doc["precision"], stages = doc["stages"];
  const Doc mem = summary["memory"];
  const std::string model = str(doc.path("model.name")), workload = str(doc.path("workload.name"));
  const std::string hw_name = str(hw["name"]);
  // headline figures
  const bool fits = mem["fits"].as_bool();
  const Doc tps = summary["decode_tokens_per_s"];
  h += "<div class=\"kpis\">\n";
  auto kpi = [&](const std::string& label, const std::string& value, std::string_view cls = {}) {
    h += "<div class=\"kpi\"><div class=\"v" + (cls.empty() ? std::string() : " " + std::string(cls)) + "\">" +
         esc(value) + "</div><div class=\"l\">" + esc(label) + "</div></div>\n";
  };
  kpi("time to first token (TTFT)", seconds(num(summary["ttft_s"])));
  kpi("time per output token (TPOT)", seconds(num(summary["tpot_s"])));
  kpi("decode tokens/s", tps.is_null() ? std::string("n/a") : fixed(num(tps), 1));
  kpi("memory " + bytes(num(mem["total_bytes"])) + " of " + bytes(num(mem["capacity_bytes"])),
      fits ? "fits" : "does not fit", fits ? "yes" : "no");
  h += "</div>\n";

  const Doc warnings = doc["warnings"];
  for (std::size_t i = 0; i < warnings.size(); ++i) h += "<p class=\"warn\">" + esc(str(warnings.at(i))) + "</p>\n";

  // run
  if (!doc["serving"].is_null()) h += serving_html(doc);
  h += "<h2>Run</h2>\n";
  const Doc batch_size = doc.path("workload.values")["batch.size"];
  kv_table(h, {
                  {"model", txt(model)},
                  {"plugin", txt(str(doc.path("plugin.name")) + " " + str(doc.path("plugin.version")) + ": " +
                                 str(doc.path("plugin.description")))},
                  {"workload", txt(workload + ": " + str(doc.path("workload.description")))},
                  {"hardware", txt(hw_name + " (" + str(hw["id"]) + ", " + str(hw["vendor"]) + ")")},
                  {"precision", txt("weights " + str(prec["weights"]) + ", activations " + str(prec["activations"]) +
                                    ", KV cache " + str(prec["kv_cache"]) + ", compute " + str(prec["compute_dtype"]))},
                  {"parameters", txt(si(num(summary["parameters"]), "") + " (" + integer(summary["parameters"]) + ")")},
                  {"batch", txt(batch_size.valid() ? compact(batch_size) : std::string("n/a"))},
                  {"tokens", txt("vision " + integer(summary["vision_tokens"]) + ", prefill " +
                                 integer(summary["prefill_tokens"]) + ", new " + integer(summary["new_tokens"]) + " (" +
                                 integer(summary["decode_steps"]) + " decode steps)")},
              });

  // stages
  h += "<h2>Stages</h2>\n";
  const Doc sstages = summary["stages"];
  for (std::size_t i = 0; i < sstages.size(); ++i) {
    const Doc s = sstages.at(i), full = stages[sstages.key(i)];
    std::vector<Cell> r = {txt(sstages.key(i)), numc(integer(full["steps"])), numc(integer(full["query_tokens"])),
                           numc(integer(full["kv_len"]))};
    for (Cell& c : metric_cells(s)) r.push_back(std::move(c));
    const double io = num(s["io_bytes"]);
    r.push_back(numc(io > 0 ? fixed((num(s["tc_flops"]) + num(s["cuda_flops"])) / io, 1) : "n/a"));
    r.push_back(Cell{bound_html(s["bound"]), false});
    rows.push_back(std::move(r));
  }
  table(h,
        {txt("stage"), numc("steps"), numc("query tokens"), numc("KV length"), numc("TC FLOPs"), numc("CUDA FLOPs"),
         numc("I/O"), numc("time"), numc("FLOP/byte"), txt("bound")},
        rows);
  kv_table(h, {
                  {"TTFT (vision + prefill)", numc(seconds(num(summary["ttft_s"])))},
                  {"TPOT (decode time per step)", numc(seconds(num(summary["tpot_s"])))},
                  {"decode tokens/s", numc(tps.is_null() ? std::string("n/a") : fixed(num(tps), 1))},
              });
  const Doc per_step = stages.path("decode.per_step");
  if (per_step.size() > 0) {
    h += "<p>Decode steps: first " + esc(seconds(num(per_step.path("first.time_s")))) + ", last " +
         esc(seconds(num(per_step.path("last.time_s")))) + ", mean " + esc(seconds(num(per_step.path("mean.time_s")))) +
         " (KV cache " + esc(bytes(num(per_step.path("first.kv_cache_bytes")))) + " to " +
         esc(bytes(num(per_step.path("last.kv_cache_bytes")))) + ").</p>\n";
  }

  h += "<h3>Time by component</h3>\n";
  h += "<p class=\"note\">Each bar is the whole stage; its time is printed at the end. Hover a segment for "
       "details.</p>\n";
  h += component_bars_svg(stages, colours);

  // memory
  h += "<h2>Memory</h2>\n";
  h += memory_bar_svg(mem);
  kv_table(h, {
                  {"weights", numc(bytes(num(mem["weights_bytes"])))},
                  {"KV cache (end of decode)", numc(bytes(num(mem["kv_cache_bytes"])))},
                  {"peak activations (largest op)", numc(bytes(num(mem["activations_peak_bytes"])))},
                  {"total", numc(bytes(num(mem["total_bytes"])))},
                  {"capacity", numc(bytes(num(mem["capacity_bytes"])))},
                  {"fits", Cell{fits ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>", false}},
              });
}

// The headline figures, run, stages and memory of a forward pass or a training step (docs/report-schema.md):
// no time to first token, no decode.
void task_overview(std::string& h, const Doc& doc, const std::string& task, ColourMap& colours) {
  const Doc summary = doc["summary"], hw = doc["hardware"], prec = doc["precision"], stages = doc["stages"];
  const Doc mem = summary["memory"], training = summary["training"];
  const bool train = task == "train";
  const bool fits = mem["fits"].as_bool();
  h += "<div class=\"kpis\">\n";
  auto kpi = [&](const std::string& label, const std::string& value, std::string_view cls = {}) {
    h += "<div class=\"kpi\"><div class=\"v" + (cls.empty() ? std::string() : " " + std::string(cls)) + "\">" +
         esc(value) + "</div><div class=\"l\">" + esc(label) + "</div></div>\n";
  };
  kpi(train ? "training step time" : "forward pass time", seconds(num(summary[train ? "step_time_s" : "time_s"])));
  kpi("samples/s", fixed(num(summary["samples_per_s"]), 1));
  kpi("tokens/s", fixed(num(summary["tokens_per_s"]), 0));
  if (train) kpi("model FLOPs utilisation (MFU)", percent(num(summary["mfu"])));
  kpi("memory " + bytes(num(mem["total_bytes"])) + " of " + bytes(num(mem["capacity_bytes"])),
      fits ? "fits" : "does not fit", fits ? "yes" : "no");
  h += "</div>\n";
  const Doc warnings = doc["warnings"];
  for (std::size_t i = 0; i < warnings.size(); ++i) h += "<p class=\"warn\">" + esc(str(warnings.at(i))) + "</p>\n";

  h += "<h2>Run</h2>\n";
  kv_table(h, {
                  {"task", txt(train ? "train: one optimizer step (forward, backward, recomputation, update)"
                                     : "forward: one pass over a batch")},
                  {"model", txt(str(doc.path("model.name")))},
                  {"plugin", txt(str(doc.path("plugin.name")) + " " + str(doc.path("plugin.version")) + ": " +
                                 str(doc.path("plugin.description")))},
                  {"workload", txt(str(doc.path("workload.name")) + ": " + str(doc.path("workload.description")))},
                  {"hardware", txt(str(hw["name"]) + " (" + str(hw["id"]) + ", " + str(hw["vendor"]) + ")")},
                  {"precision", txt("weights " + str(prec["weights"]) + ", activations " + str(prec["activations"]) +
                                    ", compute " + str(prec["compute_dtype"]))},
                  {"parameters", txt(si(num(summary["parameters"]), "") + " (" + integer(summary["parameters"]) + ")")},
                  {"samples per batch", txt(integer(summary["samples"]))},
                  {"tokens per sample", txt(integer(summary["tokens_per_sample"]))},
              });
  if (const Doc par = summary["parallel"]; par.valid()) {  // data parallelism (and ZeRO): figures per GPU
    std::string dp = integer(par["dp"]) + " replicas of " + integer(par["samples_per_replica"]) +
                     " samples, one GPU each" + (train ? ", ZeRO stage " + integer(training["zero"]) : "") +
                     "; time and memory are one GPU's, throughput the replicas' together";
    kv_table(h, {{"data parallelism", txt(dp)}});
  }

  h += "<h2>Stages</h2>\n";
  std::vector<std::vector<Cell>> rows;
  const Doc sstages = summary["stages"];
  for (std::size_t i = 0; i < sstages.size(); ++i) {
    const Doc s = sstages.at(i), full = stages[sstages.key(i)];
    std::vector<Cell> r = {txt(sstages.key(i)), numc(integer(full["batch"])), numc(integer(full["query_tokens"]))};
    for (Cell& c : metric_cells(s)) r.push_back(std::move(c));
    const double io = num(s["io_bytes"]);
    r.push_back(numc(io > 0 ? fixed((num(s["tc_flops"]) + num(s["cuda_flops"])) / io, 1) : "n/a"));
    r.push_back(Cell{bound_html(s["bound"]), false});
    rows.push_back(std::move(r));
  }
  table(h,
        {txt("stage"), numc("samples"), numc("tokens per sample"), numc("TC FLOPs"), numc("CUDA FLOPs"), numc("I/O"),
         numc("time"), numc("FLOP/byte"), txt("bound")},
        rows);
  if (train) {
    h += "<h3>Training step</h3>\n";
    h += "<p class=\"note\">Recomputation <code>" + esc(str(training["recompute"])) + "</code>, optimizer <code>" +
         esc(str(training["optimizer"])) + "</code>; times are the roofline of each part (" +
         esc(str(training["time_model"])) + "). docs/training.md has every formula.</p>\n";
    rows.clear();
    for (const char* part : {"forward", "backward", "recompute", "optimizer"}) {
      std::vector<Cell> r = {txt(part)};
      for (Cell& c : metric_cells(training["parts"][part])) r.push_back(std::move(c));
      rows.push_back(std::move(r));
    }
    table(h, {txt("part"), numc("TC FLOPs"), numc("CUDA FLOPs"), numc("I/O"), numc("time")}, rows);
    if (const Doc comm = training["comm"]; comm.valid()) {
      kv_table(h, {
                      {"data-parallel communication per GPU", numc(bytes(num(comm["bytes"])))},
                      {std::string("its time (") + (comm["overlap"].as_bool() ? "" : "not ") +
                           "overlapped, in the step time)",
                       numc(seconds(num(comm["time_s"])))},
                  });
    }
    kv_table(h, {
                    {"model FLOPs per step (3 × forward)", numc(flops(num(training["model_flops"])))},
                    {"hardware FLOPs per step", numc(flops(num(training["hardware_flops"])))},
                    {"MFU", numc(percent(num(summary["mfu"])))},
                });
  }
  h += "<h3>Time by component</h3>\n";
  h += "<p class=\"note\">Each bar is the whole stage (forward pass); its time is printed at the end. Hover a segment "
       "for details.</p>\n";
  h += component_bars_svg(stages, colours);

  h += summary["parallel"].valid() ? "<h2>Memory per GPU</h2>\n" : "<h2>Memory</h2>\n";
  if (train) {
    h += memory_parts_svg({{"weights", {num(mem["weights_bytes"]), "#4e79a7"}},
                           {"gradients", {num(mem["gradients_bytes"]), "#59a14f"}},
                           {"optimizer states", {num(mem["optimizer_bytes"]), "#f28e2b"}},
                           {"activations", {num(mem["activations_bytes"]), "#e15759"}}},
                          num(mem["capacity_bytes"]), fits,
                          "memory: weights, gradients, optimizer states and saved activations against capacity");
    kv_table(h, {
                    {"weights", numc(bytes(num(mem["weights_bytes"])))},
                    {"gradients", numc(bytes(num(mem["gradients_bytes"])))},
                    {"optimizer states (master weights, moments)", numc(bytes(num(mem["optimizer_bytes"])))},
                    {"activations kept for the backward pass", numc(bytes(num(mem["activations_bytes"])))},
                    {"total", numc(bytes(num(mem["total_bytes"])))},
                    {"capacity", numc(bytes(num(mem["capacity_bytes"])))},
                    {"fits", Cell{fits ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>", false}},
                });
    if (mem["gathered_weights_bytes"].valid()) {
      kv_table(h, {
                      {"ZeRO-3 gathered weights (largest unit, while it runs; in the total)",
                       numc(bytes(num(mem["gathered_weights_bytes"])))},
                      {"all GPUs together", numc(bytes(num(mem["all_gpus_total_bytes"])))},
                  });
    }
  } else {
    h += memory_parts_svg({{"weights", {num(mem["weights_bytes"]), "#4e79a7"}},
                           {"peak activations", {num(mem["activations_peak_bytes"]), "#e15759"}}},
                          num(mem["capacity_bytes"]), fits, "memory: weights and peak activations against capacity");
    kv_table(h, {
                    {"weights", numc(bytes(num(mem["weights_bytes"])))},
                    {"peak activations (largest op)", numc(bytes(num(mem["activations_peak_bytes"])))},
                    {"total", numc(bytes(num(mem["total_bytes"])))},
                    {"capacity", numc(bytes(num(mem["capacity_bytes"])))},
                    {"fits", Cell{fits ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>", false}},
                });
  }
}

std::string write_report(const Doc& doc) {
  const Doc summary = doc["summary"], hw = doc["hardware"], prec = doc["precision"], stages = doc["stages"];
  const std::string model = str(doc.path("model.name")), workload = str(doc.path("workload.name"));
  const std::string hw_name = str(hw["name"]);

  std::string h = page_head("ModelMeter: " + model + ", " + workload + ", " + hw_name);
  h += "<h1>" + esc(model) + " &middot; " + esc(workload) + " &middot; " + esc(hw_name) + "</h1>\n";
  h += "<p class=\"sub\">ModelMeter " + esc(str(doc.path("tool.version"))) + " analytic performance report, plugin " +
       esc(str(doc.path("plugin.name"))) + " " + esc(str(doc.path("plugin.version"))) + " (ABI " +
       esc(str(doc.path("plugin.abi_version_text"))) + "). " + esc(str(hw["roofline"])) + "." +
       (hw["calibration"].is_null()
            ? std::string()
            : " Time model <code>" + esc(str(hw["time_model"])) + "</code>: " + esc(str(hw["calibration"]["note"]))) +
       "</p>\n";

  const std::string task(summary["task"].as_string());  // absent: a generation report
  ColourMap colours;
  std::vector<std::vector<Cell>> rows;
  if (task.empty() || task == "generate") {
    generation_overview(h, doc, colours, rows);
  } else {
    task_overview(h, doc, task, colours);
  }

  // hardware
  const Doc eff = hw["efficiency"];
  Roofs roofs;
  roofs.bandwidth = num(hw["bandwidth_bytes_per_s"]) * num(eff["memory"]);
  roofs.tensor = num(prec["tensor_core_peak_flops"]) * num(eff["tensor_core"]);
  roofs.cuda = num(hw["cuda_core_fp32_flops"]) * num(eff["cuda_core"]);
  roofs.tensor_label = "Tensor Cores " + str(prec["compute_dtype"]);
  h += "<h2>Hardware</h2>\n";
  std::string peaks;
  const Doc tcf = hw["tensor_core_flops"];
  for (std::size_t i = 0; i < tcf.size(); ++i)
    peaks += (i ? ", " : "") + std::string(tcf.key(i)) + " " + si(num(tcf.at(i)), "FLOP/s");
  kv_table(
      h,
      {
          {"Tensor-Core peaks", txt(peaks)},
          {"CUDA-core FP32 peak", numc(si(num(hw["cuda_core_fp32_flops"]), "FLOP/s"))},
          {"memory bandwidth", numc(si(num(hw["bandwidth_bytes_per_s"]), "B/s"))},
          {"capacity", numc(bytes(num(hw["capacity_bytes"])))},
          {"efficiency", txt("Tensor Cores " + plain(num(eff["tensor_core"])) + ", CUDA cores " +
                             plain(num(eff["cuda_core"])) + ", memory " + plain(num(eff["memory"])))},
          {"roofs used (" + str(prec["compute_dtype"]) + ")",
           txt("Tensor Cores " + si(roofs.tensor, "FLOP/s") + ", CUDA cores " + si(roofs.cuda, "FLOP/s") + ", memory " +
               si(roofs.bandwidth, "B/s") + "; ridge at " + fixed(roofs.tensor / roofs.bandwidth, 1) + " FLOP/byte")},
      });

  // per stage: roofline, categories, components
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const std::string stage(stages.key(i));
    const Doc s = stages.at(i);
    h += "<h2 id=\"stage-" + esc(stage) + "\">Stage " + esc(stage) + "</h2>\n";
    h += "<p>" + esc(seconds(num(s["time_s"]))) +
         (s["roofline_time_s"].is_null() || num(s["roofline_time_s"]) == num(s["time_s"])
              ? std::string()
              : " (pure roofline " + esc(seconds(num(s["roofline_time_s"]))) + ")") +
         ", " + bound_html(s["bound"]) + "-bound (compute-bound ops " + esc(seconds(num(s["compute_bound_time_s"]))) +
         "); batch " + esc(integer(s["batch"])) +
         (stage == "forward" ? ", " + esc(integer(s["query_tokens"])) + " tokens per sample.</p>\n"
                             : ", " + esc(integer(s["query_tokens"])) + " query tokens, KV length " +
                                   esc(integer(s["kv_len"])) + ", " + esc(integer(s["steps"])) + " step(s).</p>\n");

    Leaves leaves;
    collect_leaves(s["modules"], leaves);
    const Doc tot = s.path("totals.forward");
    const double stage_flops = num(tot["tc_flops"]) + num(tot["cuda_flops"]);
    const double stage_ai = num(tot["io_bytes"]) > 0 ? stage_flops / num(tot["io_bytes"]) : NAN;
    h += "<h3>Roofline</h3>\n";
    h += roofline_svg(stage, leaves, roofs, stage_ai, stage_flops / num(s["time_s"]));
    std::string note = std::to_string(leaves.points.size()) +
                       " leaf ops, each drawn once (one instance; repeated layers share a point). Hover a point for "
                       "its id, class, arithmetic intensity and attained FLOP/s.";
    if (!leaves.no_flops.empty()) {
      note += " Not drawn, having no arithmetic (zero FLOPs cannot sit on a log axis): ";
      for (std::size_t k = 0; k < leaves.no_flops.size(); ++k) note += (k ? ", " : "") + leaves.no_flops[k];
      note += ".";
    }
    if (leaves.no_io_or_time > 0) note += " " + std::to_string(leaves.no_io_or_time) + " op(s) without I/O or time.";
    h += "<p class=\"note\">" + esc(note) + "</p>\n";

    h += "<h3>Operator categories</h3>\n";
    rows.clear();
    const Doc cats = s["categories"];
    for (std::size_t c = 0; c < cats.size(); ++c) {
      std::vector<Cell> r = {
          Cell{"<span style=\"color:" + category_colour(cats.key(c)) + "\">&#9632;</span> " + esc(cats.key(c)), false}};
      for (Cell& m : metric_cells(cats.at(c))) r.push_back(std::move(m));
      r.push_back(Cell{bound_html(cats.at(c)["bound"]), false});
      rows.push_back(std::move(r));
    }
    table(h, {txt("category"), numc("TC FLOPs"), numc("CUDA FLOPs"), numc("I/O"), numc("time"), txt("bound")}, rows);

    h += "<h3>Components</h3>\n";
    rows.clear();
    const Doc comps = s["components"];
    for (std::size_t c = 0; c < comps.size(); ++c) {
      const Doc m = comps.at(c);
      std::vector<Cell> r = {
          Cell{"<span style=\"color:" + colours(comps.key(c)) + "\">&#9632;</span> " + esc(comps.key(c)), false}};
      for (Cell& x : metric_cells(m)) r.push_back(std::move(x));
      r.push_back(numc(percent(num(m["share_of_time"]))));
      r.push_back(Cell{bound_html(m["bound"]), false});
      r.push_back(numc(si(num(m["parameters"]), "")));
      rows.push_back(std::move(r));
    }
    table(h,
          {txt("component"), numc("TC FLOPs"), numc("CUDA FLOPs"), numc("I/O"), numc("time"), numc("share"),
           txt("bound"), numc("parameters")},
          rows);
  }

  // inputs
  h += "<h2>Inputs</h2>\n";
  const Doc values = doc.path("workload.values"), sources = doc.path("workload.sources");
  rows.clear();
  for (std::size_t i = 0; i < values.size(); ++i)
    rows.push_back({txt(values.key(i)), txt(compact(values.at(i))), txt(str(sources[values.key(i)]))});
  h += "<details>\n<summary>Workload keys (" + std::to_string(values.size()) + ")</summary>\n";
  table(h, {txt("key"), txt("value"), txt("source")}, rows);
  h += "</details>\n";
  const Doc config = doc.path("model.config");
  rows.clear();
  for (std::size_t i = 0; i < config.size(); ++i) rows.push_back({txt(config.key(i)), txt(compact(config.at(i)))});
  h += "<details>\n<summary>Model configuration (" + std::to_string(config.size()) + ")</summary>\n";
  table(h, {txt("key"), txt("value")}, rows);
  h += "</details>\n";
  return h + kPageTail;
}

// ------------------------------------------------------------------------------------------------------
// sweep.html

// A cell of a sweep row, formatted by its column's name.
Cell sweep_cell(std::string_view column, const Doc& v) {
  auto ends = [&](std::string_view suffix) {
    return column.size() >= suffix.size() && column.substr(column.size() - suffix.size()) == suffix;
  };
  switch (v.type()) {
    case MM_DOC_NULL:
      return Cell{"&ndash;", true};
    case MM_DOC_BOOL:
      return Cell{v.as_bool() ? "yes" : "<span class=\"no\">no</span>", false};
    case MM_DOC_STRING:
      return txt(v.as_string());
    case MM_DOC_INT:
    case MM_DOC_NUMBER: {
      const double x = v.as_number();
      if (ends("tokens_per_s")) return numc(fixed(x, 1));
      if (ends("flops")) return numc(flops(x));
      if (ends("_bytes")) return numc(bytes(x));
      if (ends("_s")) return numc(seconds(x));
      return numc(v.type() == MM_DOC_INT ? std::to_string(v.as_int()) : plain(x));
    }
    default:
      return txt(compact(v));
  }
}

// A varied value ("512", "1.5") as a number; false for anything else ("\"gundam\"", "h100-sxm").
bool parse_number(std::string_view s, double& out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, out);
  return r.ec == std::errc() && r.ptr == end && std::isfinite(out);
}

std::string value_text(const Doc& v) {
  return v.type() == MM_DOC_STRING ? str(v) : compact(v);
}

std::string sweep_chart_svg(const Doc& columns, const Doc& varied, const Doc& rows) {
  auto column = [&](std::string_view name) -> std::ptrdiff_t {
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns.at(i).as_string() == name) return static_cast<std::ptrdiff_t>(i);
    return -1;
  };
  if (varied.size() == 0) return {};
  const std::string xname(varied.at(0).as_string());
  const std::ptrdiff_t xc = column(xname), ttft = column("ttft_s"), tpot = column("tpot_s");
  if (xc < 0 || (ttft < 0 && tpot < 0)) return {};

  // series: one per combination of the other varied keys, each with a TTFT and a TPOT line
  struct Point {
    double x, y;
    bool feasible;
    bool operator<(const Point& o) const { return x < o.x; }
  };
  struct Series {
    std::string name;
    std::vector<Point> ttft, tpot;
  };
  const std::ptrdiff_t feasible = column("feasible");
  std::vector<Series> series;
  std::vector<double> xs;
  double ymin = INFINITY, ymax = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Doc row = rows.at(r);
    double x = 0;
    const Doc xv = row.at(static_cast<std::size_t>(xc));
    if (xv.type() == MM_DOC_INT || xv.type() == MM_DOC_NUMBER)
      x = xv.as_number();
    else if (!parse_number(xv.as_string(), x))
      return {};  // the first varied key is not numeric: no chart
    std::string key;
    for (std::size_t k = 1; k < varied.size(); ++k) {
      const std::ptrdiff_t c = column(varied.at(k).as_string());
      if (c < 0) continue;
      key += (key.empty() ? "" : ", ") + std::string(varied.at(k).as_string()) + "=" +
             value_text(row.at(static_cast<std::size_t>(c)));
    }
    auto it = std::find_if(series.begin(), series.end(), [&](const Series& s) { return s.name == key; });
    if (it == series.end()) it = series.insert(series.end(), Series{key, {}, {}});
    if (std::find(xs.begin(), xs.end(), x) == xs.end()) xs.push_back(x);
    const bool ok = feasible < 0 || row.at(static_cast<std::size_t>(feasible)).as_bool();
    for (const auto& [c, pts] : {std::pair{ttft, &it->ttft}, std::pair{tpot, &it->tpot}}) {
      if (c < 0) continue;
      const double y = row.at(static_cast<std::size_t>(c)).as_number();
      if (!(y > 0) || !std::isfinite(y)) continue;
      pts->push_back(Point{x, y, ok});
      ymin = std::min(ymin, y), ymax = std::max(ymax, y);
    }
  }
  if (xs.empty() || !(ymax > 0)) return {};
  std::sort(xs.begin(), xs.end());

  constexpr double W = 920, L = 112, R = 880, T = 18, B = 330;
  const bool xlog = xs.front() > 0 && xs.back() / xs.front() >= 10;
  double x0 = xs.front(), x1 = xs.back();
  if (x1 == x0) {
    x0 = xlog ? x0 / 2 : x0 - 1;
    x1 = xlog ? x1 * 2 : x1 + 1;
  }
  const double pad = xlog ? std::pow(x1 / x0, 0.03) : (x1 - x0) * 0.03;
  const Axis ax{xlog ? x0 / pad : x0 - pad, xlog ? x1 * pad : x1 + pad, L, R, xlog};
  const auto [y0, y1] = decades(ymin, ymax);
  const Axis ay{y0, y1, B, T, true};

  std::vector<std::pair<std::string, std::string>> legend;
  ColourMap colours;
  for (const Series& s : series) legend.emplace_back((s.name.empty() ? std::string("TTFT") : s.name), colours(s.name));
  Svg scratch(W, 0, "", "", "");
  const double legend_end = scratch.legend(L, 0, W - 10, legend);
  const bool keyed = series.size() > 1 || !series.front().name.empty();
  Svg svg(W, B + 80 + (keyed ? 8 + legend_end : 0), "sweep-chart", "sweep-chart", "TTFT and TPOT against " + xname);

  std::vector<double> xticks = xs;
  if (xticks.size() > 12) {  // too many points to label each: about ten evenly spaced values
    std::vector<double> pick;
    for (std::size_t i = 0; i < 10; ++i) pick.push_back(xs[i * (xs.size() - 1) / 9]);
    xticks = pick;
  }
  for (const double v : xticks) {
    svg.line(ax(v), T, ax(v), B, "grid");
    svg.text(ax(v), B + 18, plain(v), "middle");
  }
  for (const double v : log_ticks(y0, y1, y1 / y0 <= 1000)) {
    svg.line(L, ay(v), R, ay(v), "grid");
    svg.text(L - 8, ay(v) + 4, tick_label(v, "s"), "end");
  }
  svg.line(L, B, R, B, "axis");
  svg.line(L, T, L, B, "axis");
  svg.text((L + R) / 2, B + 42, xname + (xlog ? " (log scale)" : ""), "middle");
  svg.text(16, (T + B) / 2, "seconds (log scale)", "middle", {}, -90);

  for (Series& s : series) {
    const std::string colour = colours(s.name);
    for (auto* pts : {&s.ttft, &s.tpot}) {
      const bool is_ttft = pts == &s.ttft;
      std::stable_sort(pts->begin(), pts->end());
      std::vector<std::pair<double, double>> px;
      for (const Point& pt : *pts) px.emplace_back(ax(pt.x), ay(pt.y));
      if (px.size() > 1) svg.polyline(px, is_ttft ? "series" : "series dashed", colour);
      for (std::size_t i = 0; i < px.size(); ++i) {
        const Point& pt = (*pts)[i];
        svg.circle(px[i].first, px[i].second, 3.5, pt.feasible ? colour : "#ffffff", "pt",
                   (is_ttft ? "TTFT " : "TPOT ") + seconds(pt.y) + " at " + xname + "=" + plain(pt.x) +
                       (s.name.empty() ? "" : " (" + s.name + ")") + (pt.feasible ? "" : ", not feasible"),
                   colour);
      }
    }
  }
  double ly = B + 66;
  svg.line(L, ly - 4, L + 28, ly - 4, "series", "#1d2330");
  svg.text(L + 34, ly, "TTFT (solid)");
  svg.line(L + 140, ly - 4, L + 168, ly - 4, "series dashed", "#1d2330");
  svg.text(L + 174, ly, "TPOT (dashed)");
  svg.circle(L + 300, ly - 4, 3.5, "#ffffff", "pt", {}, "#1d2330");
  svg.text(L + 310, ly, "hollow: point not feasible (see reason)");
  if (keyed) svg.legend(L, ly + 22, W - 10, legend);
  return svg.done();
}

std::string write_sweep(const Doc& doc) {
  const std::string workload = str(doc.path("workload.name")), plugin = str(doc.path("plugin.name"));
  const Doc varied = doc["varied"], columns = doc["columns"], rows = doc["rows"];
  std::string vary;
  for (std::size_t i = 0; i < varied.size(); ++i) vary += (i ? ", " : "") + str(varied.at(i));

  std::string h = page_head("ModelMeter sweep: " + plugin + ", " + workload);
  h += "<h1>Sweep: " + esc(plugin) + " &middot; " + esc(workload) + "</h1>\n";
  h += "<p class=\"sub\">ModelMeter " + esc(str(doc.path("tool.version"))) + ", plugin " + esc(plugin) + " " +
       esc(str(doc.path("plugin.version"))) + ". Varied: " + esc(vary.empty() ? std::string("nothing") : vary) + "; " +
       std::to_string(rows.size()) + " point(s).</p>\n";
  if (doc["interrupted"].as_bool())
    h += "<p class=\"warn\">The sweep was interrupted: only the points done so far are shown.</p>\n";

  const std::string chart = sweep_chart_svg(columns, varied, rows);
  if (!chart.empty()) {
    h += "<h2>TTFT and TPOT</h2>\n" + chart;
  }

  std::ptrdiff_t feasible = -1;
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns.at(i).as_string() == "feasible") feasible = static_cast<std::ptrdiff_t>(i);
  h += "<h2>Points</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>";
  for (std::size_t i = 0; i < columns.size(); ++i) h += "<th>" + esc(columns.at(i).as_string()) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Doc row = rows.at(r);
    const bool ok = feasible < 0 || row.at(static_cast<std::size_t>(feasible)).as_bool();
    h += ok ? "<tr>" : "<tr class=\"infeasible\">";
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string_view name = c < columns.size() ? columns.at(c).as_string() : "";
      const Cell cell = sweep_cell(name, row.at(c));
      h += (cell.numeric       ? "<td class=\"num\">"
            : name == "reason" ? "<td class=\"reason\">"
                               : "<td>") +
           cell.html + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</tbody>\n</table>\n</div>\n";
  return h + kPageTail;
}

// ------------------------------------------------------------------------------------------------------
// Serving (`modelmeter simulate`) and plans (`modelmeter plan`), docs/serving.md

// Batch size and KV-cache use over time, both as a share of their limits, and the latency CDFs.
std::string serving_html(const Doc& doc) {
  const Doc sv = doc["serving"];
  std::string h = "<h2>Serving simulation</h2>\n";
  h += "<p class=\"sub\">Time model <code>" + esc(str(sv["time_model"])) +
       "</code>: " + esc(str(sv["time_model_note"])) + ". The rest of this page is one request alone (batch 1).</p>\n";
  const Doc th = sv["throughput"], sc = sv["scheduler"], kv = sv["kv_cache"];
  h += "<div class=\"kpis\">\n";
  auto kpi = [&](const std::string& label, const std::string& value) {
    h +=
        "<div class=\"kpi\"><div class=\"v\">" + esc(value) + "</div><div class=\"l\">" + esc(label) + "</div></div>\n";
  };
  kpi("output tokens/s", fixed(num(th["output_tokens_per_s"]), 0));
  kpi("requests/s", fixed(num(th["requests_per_s"]), 3));
  if (!th["pages_per_day"].is_null()) kpi("pages/day", fixed(num(th["pages_per_day"]), 0));
  kpi("TTFT p99", seconds(num(sv["ttft_s"]["p99"])));
  kpi("TPOT p99", seconds(num(sv["tpot_s"]["p99"])));
  h += "</div>\n";
  std::vector<std::vector<Cell>> rows;
  for (const char* k : {"ttft_s", "tpot_s", "itl_s", "e2e_s"}) {
    const Doc p = sv[k];
    rows.push_back({txt(k), numc(seconds(num(p["mean"]))), numc(seconds(num(p["p50"]))), numc(seconds(num(p["p90"]))),
                    numc(seconds(num(p["p99"])))});
  }
  table(h, {txt("latency"), numc("mean"), numc("p50"), numc("p90"), numc("p99")}, rows);

  constexpr double W = 920, L = 80, R = 880, T = 18, B = 250;
  // Batch and KV use over time.
  const Doc tl = sv["timeline"];
  const double seqs = num(sc["max_num_seqs"]), blocks = num(kv["blocks"]);
  if (tl.size() > 1 && seqs > 0 && blocks > 0) {
    const double t0 = num(tl.at(0)["t_s"]), t1 = num(tl.at(tl.size() - 1)["t_s"]);
    const Axis ax{t0, t1 > t0 ? t1 : t0 + 1, L, R, false}, ay{0, 1, B, T, false};
    Svg svg(W, B + 60, "serving-timeline", "serving-timeline", "batch size and KV-cache use over time");
    for (double v : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      svg.line(L, ay(v), R, ay(v), "grid");
      svg.text(L - 8, ay(v) + 4, fixed(100 * v, 0) + "%", "end");
    }
    for (int i = 0; i <= 5; ++i) {
      const double v = t0 + (ax.hi - t0) * i / 5;
      svg.text(ax(v), B + 18, seconds(v), "middle");
    }
    svg.line(L, B, R, B, "axis");
    svg.line(L, T, L, B, "axis");
    std::vector<std::pair<double, double>> batch, used;
    for (std::size_t i = 0; i < tl.size(); ++i) {
      const Doc p = tl.at(i);
      batch.emplace_back(ax(num(p["t_s"])), ay(std::min(1.0, num(p["batch"]) / seqs)));
      used.emplace_back(ax(num(p["t_s"])), ay(std::min(1.0, num(p["kv_blocks"]) / blocks)));
    }
    svg.polyline(batch, "series", "#4e79a7");
    svg.polyline(used, "series", "#e15759");
    svg.legend(L, B + 44, W - 10,
               {{"sequences in the iteration, % of max_num_seqs", "#4e79a7"},
                {"KV blocks in use, % of the cache", "#e15759"}});
    h += "<h3>Batch size and KV-cache use over time</h3>\n" + svg.done();
  }
  // Latency CDFs.
  const Doc cdf = sv["latency_cdf"], q = cdf["quantiles"];
  double lo = INFINITY, hi = 0;
  for (const char* k : {"ttft_s", "e2e_s"}) {
    for (std::size_t i = 0; i < cdf[k].size(); ++i) {
      const double v = num(cdf[k].at(i));
      if (v > 0) lo = std::min(lo, v), hi = std::max(hi, v);
    }
  }
  if (q.size() > 1 && hi > 0) {
    const auto [x0, x1] = decades(lo, hi);
    const Axis ax{x0, x1, L, R, true}, ay{0, 1, B, T, false};
    Svg svg(W, B + 60, "serving-cdf", "serving-cdf", "latency CDFs");
    for (double v : {0.0, 0.25, 0.5, 0.75, 1.0}) {
      svg.line(L, ay(v), R, ay(v), "grid");
      svg.text(L - 8, ay(v) + 4, fixed(100 * v, 0) + "%", "end");
    }
    for (double v : log_ticks(x0, x1, x1 / x0 <= 1000)) {
      svg.line(ax(v), T, ax(v), B, "grid");
      svg.text(ax(v), B + 18, tick_label(v, "s"), "middle");
    }
    svg.line(L, B, R, B, "axis");
    svg.line(L, T, L, B, "axis");
    ColourMap colours;
    for (const char* k : {"ttft_s", "e2e_s"}) {
      std::vector<std::pair<double, double>> pts;
      for (std::size_t i = 0; i < cdf[k].size() && i < q.size(); ++i) {
        const double v = num(cdf[k].at(i));
        if (v > 0) pts.emplace_back(ax(v), ay(num(q.at(i)) / 100));
      }
      svg.polyline(pts, "series", colours(k));
    }
    svg.legend(L, B + 44, W - 10, {{"TTFT", colours("ttft_s")}, {"end-to-end latency", colours("e2e_s")}});
    h += "<h3>Latency CDFs (share of measured requests at or below)</h3>\n" + svg.done();
  }
  return h;
}

// plan.html: throughput per GPU against p99 TTFT, one point per candidate that ran (coloured by hardware, the
// Pareto front outlined and joined), then the ranked table.
std::string write_plan(const Doc& doc) {
  const Doc columns = doc["columns"], rows = doc["rows"];
  auto column = [&](std::string_view name) -> std::size_t {
    for (std::size_t i = 0; i < columns.size(); ++i)
      if (columns.at(i).as_string() == name) return i;
    throw modelmeter::InvalidArgument("plan document without a '" + std::string(name) + "' column");
  };
  const std::size_t hw = column("hardware"), tps = column("output_tokens_per_s_per_gpu"), ttft = column("ttft_p99_s"),
                    pareto = column("pareto"), meets = column("meets_sla"), gpus = column("gpus");
  const std::string workload = str(doc.path("workload.name")), plugin = str(doc.path("plugin.name"));
  std::string h = page_head("ModelMeter plan: " + plugin + ", " + workload);
  h += "<h1>Serving plan: " + esc(plugin) + " &middot; " + esc(workload) + "</h1>\n";
  h += "<p class=\"sub\">" + std::to_string(rows.size()) + " candidates, " +
       esc(fixed(num(doc["requests_per_candidate"]), 0)) +
       " requests simulated each. Layouts: " + esc(str(doc["layouts"])) + ". " + esc(str(doc["price"])) + ".</p>\n";
  double xlo = INFINITY, xhi = 0, yhi = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Doc row = rows.at(r);
    const double x = num(row.at(ttft)), y = num(row.at(tps));
    if (!(x > 0) || !(y >= 0)) continue;
    xlo = std::min(xlo, x), xhi = std::max(xhi, x), yhi = std::max(yhi, y);
  }
  if (xhi > 0 && yhi > 0) {
    constexpr double W = 920, L = 90, R = 880, T = 18, B = 360;
    const auto [x0, x1] = decades(xlo, xhi);
    const Axis ax{x0, x1, L, R, true}, ay{0, yhi * 1.08, B, T, false};
    Svg svg(W, B + 70, "plan-chart", "plan-chart", "throughput per GPU against p99 TTFT");
    for (int i = 0; i <= 5; ++i) {
      const double v = ay.hi * i / 5;
      svg.line(L, ay(v), R, ay(v), "grid");
      svg.text(L - 8, ay(v) + 4, fixed(v, 0), "end");
    }
    for (double v : log_ticks(x0, x1, x1 / x0 <= 1000)) {
      svg.line(ax(v), T, ax(v), B, "grid");
      svg.text(ax(v), B + 18, tick_label(v, "s"), "middle");
    }
    svg.line(L, B, R, B, "axis");
    svg.line(L, T, L, B, "axis");
    svg.text((L + R) / 2, B + 40, "p99 TTFT (log scale)", "middle");
    svg.text(16, (T + B) / 2, "output tokens/s per GPU", "middle", {}, -90);
    ColourMap colours;
    for (std::size_t r = rows.size(); r-- > 0;) {  // best last, drawn on top
      const Doc row = rows.at(r);
      const double x = num(row.at(ttft)), y = num(row.at(tps));
      if (!(x > 0) || !(y >= 0)) continue;
      const std::string c = colours(row.at(hw).as_string());
      const bool on_front = row.at(pareto).as_bool();
      svg.circle(ax(x), ay(y), on_front ? 5 : 3, row.at(meets).as_bool() ? c : "#ffffff", "pt",
                 str(row.at(hw)) + " x" + std::to_string(row.at(gpus).as_int()) + ": " + fixed(y, 0) +
                     " tokens/s/GPU, TTFT p99 " + seconds(x) + (on_front ? " (Pareto)" : ""),
                 on_front ? "#1d2330" : c);
    }
    // The line is the two-dimensional front of this chart: by rising p99 TTFT, each point with more throughput
    // per GPU than every point left of it.
    std::vector<std::pair<double, double>> all;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      const double x = num(rows.at(r).at(ttft)), y = num(rows.at(r).at(tps));
      if (x > 0 && y >= 0) all.emplace_back(x, y);
    }
    std::sort(all.begin(), all.end(), [](const auto& p, const auto& q) {
      return p.first < q.first || (p.first == q.first && p.second > q.second);
    });
    std::vector<std::pair<double, double>> stair;
    double best = -1;
    for (const auto& [x, y] : all) {
      if (y <= best) continue;
      best = y;
      stair.emplace_back(ax(x), ay(y));
    }
    if (stair.size() > 1) svg.polyline(stair, "series dashed", "#1d2330");
    std::vector<std::pair<std::string, std::string>> legend = colours.assigned;
    svg.legend(L, B + 62, W - 10, legend);
    h +=
        "<h2>Throughput per GPU against p99 TTFT</h2>\n<p class=\"note\">Filled: meets the SLA; hollow: misses it; "
        "outlined: on the Pareto front of throughput per GPU, p99 TTFT and p99 TPOT; dashed: the front of this chart's "
        "two figures.</p>\n" +
        svg.done();
  }
  h += "<h2>Candidates, ranked</h2>\n<div class=\"scroll\">\n<table>\n<thead><tr>";
  for (std::size_t i = 0; i < columns.size(); ++i) h += "<th>" + esc(columns.at(i).as_string()) + "</th>";
  h += "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Doc row = rows.at(r);
    h += row.at(meets).as_bool() ? "<tr>" : "<tr class=\"infeasible\">";
    for (std::size_t c = 0; c < row.size(); ++c) {
      const std::string_view name = c < columns.size() ? columns.at(c).as_string() : "";
      const Doc v = row.at(c);
      const bool rate = name.find("per_s") != std::string_view::npos && !v.is_null();
      const Cell cell = rate ? numc(fixed(num(v), 1)) : sweep_cell(name, v);
      h += (cell.numeric ? "<td class=\"num\">" : "<td>") + cell.html + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</tbody>\n</table>\n</div>\n";
  return h + kPageTail;
}

struct HtmlWriter {
  static constexpr const char* kName = "html";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription =
      "report.html / sweep.html: one self-contained page with SVG roofline, time and memory charts";
  static constexpr const char* kFormat = "html";

  static void write(const modelmeter::Doc& doc, const modelmeter::Output& out) {
    const std::string_view kind = doc["kind"].as_string();
    if (kind == "report") {
      out.emit("report.html", write_report(doc));
    } else if (kind == "sweep") {
      out.emit("sweep.html", write_sweep(doc));
    } else if (kind == "plan") {
      out.emit("plan.html", write_plan(doc));
    } else {
      throw modelmeter::InvalidArgument("only reports and sweeps are rendered as HTML, not '" + std::string(kind) +
                                        "' documents (use --format md)");
    }
  }
};

}  // namespace

MODELMETER_WRITER_PLUGIN(HtmlWriter)
