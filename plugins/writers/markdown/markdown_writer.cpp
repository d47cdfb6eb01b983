// The `markdown` writer (--format md), for people rather than scripts:
//   kind "report": report.md (summary, memory, workload, hardware, per stage its components, operator
//                  categories and top ops) and layers/<ClassName>.md (each class's formula page, verbatim as the
//                  layer registered it, plus the shapes of its instances in this run);
//   kind "docs":   only the layers/<ClassName>.md pages;
//   kind "sweep":  sweep.md, one table row per sweep point.
// Figures are written with 3 significant digits and SI prefixes (decimal: 1 GB = 10^9 bytes). The output is a
// pure function of the document: same report, same bytes.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <modelmeter/sdk.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace {

using modelmeter::Doc;

// ------------------------------------------------------------------------------------------------------
// Numbers

std::string fixed(double x, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
  return buf;
}

// x (>= 0) with 3 significant digits and no exponent: 8.93, 24.5, 142, 0.0385. Values of 1000 and more keep
// all their integer digits.
std::string sig3(double x) {
  if (x == 0) return "0";
  const int decimals = std::max(0, 2 - static_cast<int>(std::floor(std::log10(x))));
  std::string s = fixed(x, decimals);
  // Rounding can carry into one more digit (9.996 -> "10.00"): then one decimal fewer.
  if (decimals > 0 && std::strtod(s.c_str(), nullptr) >= std::pow(10.0, 3 - decimals)) s = fixed(x, decimals - 1);
  return s;
}

// 3 significant digits and an SI prefix: "3.47 TFLOP", "24.5 GB", "8.93 ms". Sub-unit prefixes (m, µ, n) are
// used only when `submultiples` (times); "n/a" for a missing value.
std::string si(double v, std::string_view unit, bool submultiples = false) {
  if (!std::isfinite(v)) return "n/a";
  static constexpr const char* kPrefixes[] = {"n", "µ", "m", "", "k", "M", "G", "T", "P", "E"};
  constexpr int kNone = 3, kLast = 9;
  const std::string sign = v < 0 ? "-" : "";
  double x = std::fabs(v);
  int p = kNone;
  while (x >= 1000 && p < kLast) {
    x /= 1000;
    ++p;
  }
  while (submultiples && x != 0 && x < 1 && p > 0) {
    x *= 1000;
    --p;
  }
  std::string s = sig3(x);
  if (std::strtod(s.c_str(), nullptr) >= 1000 && p < kLast) {  // 999.7 rounds to 1000: 1.00 of the next prefix
    x /= 1000;
    ++p;
    s = sig3(x);
  }
  return sign + s + " " + kPrefixes[p] + std::string(unit);
}

std::string seconds(const Doc& d) {
  return si(d.as_number(), "s", true);
}
std::string flops(const Doc& d) {
  return si(d.as_number(), "FLOP");
}
std::string bytes(const Doc& d) {
  return si(d.as_number(), "B");
}

// A fraction as a percentage with 3 significant digits: "84.2%".
std::string percent(double fraction) {
  if (!std::isfinite(fraction)) return "n/a";
  return sig3(std::fabs(fraction) * 100) + "%";
}

// An integer with thousands separators: 3,336,106,240.
std::string grouped(int64_t v) {
  const std::string digits = std::to_string(v < 0 ? -static_cast<uint64_t>(v) : static_cast<uint64_t>(v));
  std::string out = v < 0 ? "-" : "";
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// A count that is usually whole (a repeat product, a token count).
std::string count(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (v == std::floor(v) && std::fabs(v) < 9e15) return grouped(static_cast<int64_t>(v));
  return sig3(v);
}

// "1 step", "511 steps".
std::string counted(const Doc& n, std::string_view noun) {
  return count(n.as_number()) + " " + std::string(noun) + (n.as_number() == 1 ? "" : "s");
}

// Arithmetic intensity (TC + CUDA FLOPs) / I/O bytes, in FLOP/B; "—" without traffic.
std::string intensity(const Doc& m) {
  const double io = m["io_bytes"].as_number();
  const double f = m["tc_flops"].as_number() + m["cuda_flops"].as_number();
  if (!std::isfinite(f) || !std::isfinite(io)) return "n/a";
  if (io == 0) return "—";
  return sig3(f / io);
}

// ------------------------------------------------------------------------------------------------------
// Markdown text

// Text safe inside a table cell: no line breaks, '|' escaped.
std::string cell(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char c : s) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n' || c == '\r') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

// `text` as inline code inside a table cell.
std::string code(std::string_view s) {
  return "`" + cell(s) + "`";
}

// A document value as plain text (workload values, model config, sweep cells): arrays as [a, b].
std::string plain(const Doc& d) {
  switch (d.type()) {
    case MM_DOC_NULL:
      return "—";
    case MM_DOC_BOOL:
      return d.as_bool() ? "true" : "false";
    case MM_DOC_INT:
      return std::to_string(d.as_int());
    case MM_DOC_NUMBER: {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.15g", d.as_number());
      return buf;
    }
    case MM_DOC_STRING:
      return std::string(d.as_string());
    case MM_DOC_ARRAY: {
      std::string out = "[";
      for (std::size_t i = 0; i < d.size(); ++i) out += (i ? ", " : "") + plain(d.at(i));
      return out + "]";
    }
    default: {
      std::string out = "{";
      for (std::size_t i = 0; i < d.size(); ++i)
        out += (i ? ", " : "") + std::string(d.key(i)) + " = " + plain(d.at(i));
      return out + "}";
    }
  }
}

// A string member as std::string ("" when absent).
std::string str(const Doc& d, std::string_view dotted_path) {
  return std::string(d.path(dotted_path).as_string());
}

// Builds GitHub tables row by row.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : columns_(header.size()) {
    row(header);
    std::string rule = "|";
    for (std::size_t i = 0; i < columns_; ++i) rule += "---|";
    text_ += rule + "\n";
  }
  void row(const std::vector<std::string>& cells) {
    if (cells.size() != columns_) throw modelmeter::Error(MM_ERR_INTERNAL, "markdown table row has a wrong width");
    text_ += "|";
    for (const auto& c : cells) text_ += " " + c + " |";
    text_ += "\n";
  }
  const std::string& text() const { return text_; }

 private:
  std::size_t columns_;
  std::string text_;
};

// ------------------------------------------------------------------------------------------------------
// Layer class pages

void check_class_name(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.find_first_of("/\\") != std::string_view::npos) {
    throw modelmeter::InvalidArgument("layer class name '" + std::string(name) +
                                      "' cannot name a file (it is empty, starts with '.' or holds '/' or '\\')");
  }
}

std::string class_page_path(std::string_view name) {
  return "layers/" + std::string(name) + ".md";
}

// "[Linear](layers/Linear.md)" when the class has a page, else its bare name.
std::string class_link(const Doc& layers, std::string_view name) {
  if (!layers[name].valid()) return cell(name);
  return "[" + cell(name) + "](" + class_page_path(name) + ")";
}

constexpr const char* kFooter =
    "\n---\n\nCounting conventions: see the metric conventions page (docs/metrics.md in the ModelMeter sources, "
    "installed under share/doc/modelmeter).\n";

std::string class_page(std::string_view name, const Doc& entry, bool with_instances) {
  std::string md;
  const Doc doc = entry["doc"];
  if (!doc.as_string().empty()) {  // verbatim, as the layer registered it
    md += doc.as_string();
    if (md.back() != '\n') md += '\n';
  } else {
    md += "# " + std::string(name) + "\n\nThis class registers no formula page.\n";
  }
  if (with_instances) {
    md += "\n## Shapes in this run\n\n";
    md += "Operator category: `" + cell(entry["category"].as_string()) + "`.\n\n";
    const Doc instances = entry["instances"];
    if (instances.size() == 0) {
      md += "No instance of this class is evaluated in this run.\n";
    } else {
      Table t({"stage", "id", "shapes"});
      for (std::size_t i = 0; i < instances.size(); ++i) {
        const Doc inst = instances.at(i);
        const Doc shapes = inst["shapes"];
        t.row({cell(inst["stage"].as_string()), code(inst["id"].as_string()),
               shapes.type() == MM_DOC_STRING ? cell(shapes.as_string()) : "—"});
      }
      md += t.text();
    }
  }
  return md + kFooter;
}

void write_class_pages(const Doc& layers, bool with_instances, const modelmeter::Output& out) {
  for (std::size_t i = 0; i < layers.size(); ++i) check_class_name(layers.key(i));
  for (std::size_t i = 0; i < layers.size(); ++i) {
    out.emit(class_page_path(layers.key(i)), class_page(layers.key(i), layers.at(i), with_instances));
  }
}

// ------------------------------------------------------------------------------------------------------
// report.md

// The leaf ops of a stage's module tree with their multiplicity (product of the repeats from the root).
struct Op {
  Doc node;
  double multiplicity;
  double time_s;  // all instances, all steps of the stage
};

void collect_leaves(const Doc& node, double parent_multiplicity, std::vector<Op>& out) {
  const Doc repeat = node["repeat"];
  const double m = parent_multiplicity * (repeat.valid() ? repeat.as_number() : 1.0);
  const Doc children = node["children"];
  if (children.size() == 0) {
    out.push_back(Op{node, m, node["time_s"].as_number() * m});
    return;
  }
  for (std::size_t i = 0; i < children.size(); ++i) collect_leaves(children.at(i), m, out);
}

std::vector<std::string> metric_cells(const Doc& m) {
  return {flops(m["tc_flops"]), flops(m["cuda_flops"]), bytes(m["io_bytes"]), intensity(m)};
}

std::string summary_section(const Doc& r) {
  const Doc s = r["summary"];
  std::string md = "## Summary\n\n";
  Table t({"figure", "value"});
  const Doc params = s["parameters"];
  t.row({"parameters", params.is_null() ? "n/a" : grouped(params.as_int()) + " (" + si(params.as_number(), "") + ")"});
  t.row({"vision tokens", count(s["vision_tokens"].as_number())});
  t.row({"prefill tokens (prompt)", count(s["prefill_tokens"].as_number())});
  t.row({"new tokens", count(s["new_tokens"].as_number())});
  t.row({"decode steps", count(s["decode_steps"].as_number())});
  t.row({"TTFT (vision + prefill)", seconds(s["ttft_s"])});
  if (str(s, "time_model") != "roofline" && !s["stages"].is_null()) {
    double roofline_ttft = 0;
    for (const char* st : {"vision", "prefill"}) {
      if (!s["stages"][st].is_null()) roofline_ttft += s["stages"][st]["roofline_time_s"].as_number();
    }
    t.row({"TTFT, pure roofline (lower bound)", si(roofline_ttft, "s", true)});
  }
  t.row({"TPOT (time per output token)", s["tpot_s"].is_null() ? "n/a (no decode step)" : seconds(s["tpot_s"])});
  t.row({"decode throughput",
         s["decode_tokens_per_s"].is_null() ? "n/a" : sig3(s["decode_tokens_per_s"].as_number()) + " tokens/s"});
  md += t.text();

  md += "\n### Per stage (forward; decode: all steps)\n\n";
  Table st({"stage", "TC FLOPs", "CUDA FLOPs", "I/O bytes", "intensity (FLOP/B)", "time", "bound"});
  const Doc stages = s["stages"];
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Doc g = stages.at(i);
    auto row = metric_cells(g);
    row.insert(row.begin(), "[" + cell(stages.key(i)) + "](#stage-" + std::string(stages.key(i)) + ")");
    row.push_back(seconds(g["time_s"]));
    row.push_back(cell(g["bound"].as_string()));
    st.row(row);
  }
  return md + st.text();
}

std::string memory_section(const Doc& r) {
  const Doc m = r.path("summary.memory");
  Table t({"item", "bytes"});
  t.row({"weights", bytes(m["weights_bytes"])});
  t.row({"KV cache (after the last decode step)", bytes(m["kv_cache_bytes"])});
  t.row({"peak activations (largest live set of one op)", bytes(m["activations_peak_bytes"])});
  t.row({"**total**", "**" + bytes(m["total_bytes"]) + "**"});
  t.row({"capacity (" + cell(r.path("hardware.name").as_string()) + ")", bytes(m["capacity_bytes"])});
  t.row({"fits", m["fits"].is_null() ? "n/a" : m["fits"].as_bool() ? "yes" : "**NO**"});
  return "## Memory\n\n" + t.text();
}

// The summary of a forward pass or a training step (summary.task "forward" | "train"): no TTFT, no decode.
std::string task_summary_section(const Doc& r, std::string_view task) {
  const Doc s = r["summary"];
  const bool train = task == "train";
  std::string md = "## Summary\n\n";
  Table t({"figure", "value"});
  t.row({"task", train ? "train: one optimizer step (forward, backward, recomputation, optimizer update)"
                       : "forward: one pass over a batch"});
  const Doc params = s["parameters"];
  t.row({"parameters", params.is_null() ? "n/a" : grouped(params.as_int()) + " (" + si(params.as_number(), "") + ")"});
  t.row({"samples per batch", count(s["samples"].as_number())});
  t.row({"tokens per sample", count(s["tokens_per_sample"].as_number())});
  if (const Doc par = s["parallel"]; par.valid()) {  // data parallelism (and ZeRO): per-GPU figures below
    std::string dp = count(par["dp"].as_number()) + " replicas of " + count(par["samples_per_replica"].as_number()) +
                     " samples, one GPU each";
    if (train) dp += ", ZeRO stage " + count(s["training"]["zero"].as_number());
    t.row({"data parallelism (figures per GPU)", dp});
  }
  if (train) {
    const Doc tr = s["training"];
    t.row({"recomputation", code(tr["recompute"].as_string())});
    t.row({"optimizer", code(tr["optimizer"].as_string()) +
                            (tr["master_weights"].as_bool() ? ", fp32 master weights" : ", no master copy")});
    t.row({"step time", seconds(s["step_time_s"])});
    for (const char* part : {"forward", "backward", "recompute", "optimizer"}) {
      t.row({std::string("… ") + part, seconds(tr["parts"][part]["time_s"])});
    }
    if (const Doc comm = tr["comm"]; comm.valid()) {
      t.row({std::string("… data-parallel communication (") + (comm["overlap"].as_bool() ? "" : "not ") +
                 "overlapped; " + bytes(comm["bytes"]) + " sent per GPU)",
             seconds(comm["time_s"])});
    }
  } else {
    t.row({"time", seconds(s["time_s"])});
  }
  t.row({"throughput",
         sig3(s["samples_per_s"].as_number()) + " samples/s, " + sig3(s["tokens_per_s"].as_number()) + " tokens/s"});
  if (train) {
    const Doc tr = s["training"];
    t.row({"model FLOPs per step (3 × forward Tensor-Core FLOPs)", flops(tr["model_flops"])});
    t.row({"hardware FLOPs per step (with recomputation)", flops(tr["hardware_flops"])});
    t.row({"model FLOPs utilisation (MFU)", percent(s["mfu"].as_number())});
  }
  md += t.text();
  if (train) {
    md += "\n### Training step (" + std::string(s.path("training.time_model").as_string()) + ")\n\n";
    Table p({"part", "TC FLOPs", "CUDA FLOPs", "I/O bytes", "intensity (FLOP/B)", "time"});
    for (const char* part : {"forward", "backward", "recompute", "optimizer"}) {
      const Doc g = s["training"]["parts"][part];
      auto row = metric_cells(g);
      row.insert(row.begin(), part);
      row.push_back(seconds(g["time_s"]));
      p.row(row);
    }
    md += p.text();
  }
  md += "\n### Per stage (forward pass)\n\n";
  Table st({"stage", "TC FLOPs", "CUDA FLOPs", "I/O bytes", "intensity (FLOP/B)", "time", "bound"});
  const Doc stages = s["stages"];
  for (std::size_t i = 0; i < stages.size(); ++i) {
    const Doc g = stages.at(i);
    auto row = metric_cells(g);
    row.insert(row.begin(), "[" + cell(stages.key(i)) + "](#stage-" + std::string(stages.key(i)) + ")");
    row.push_back(seconds(g["time_s"]));
    row.push_back(cell(g["bound"].as_string()));
    st.row(row);
  }
  return md + st.text();
}

std::string task_memory_section(const Doc& r, std::string_view task) {
  const Doc m = r.path("summary.memory");
  Table t({"item", "bytes"});
  t.row({"weights", bytes(m["weights_bytes"])});
  if (task == "train") {
    t.row({"gradients", bytes(m["gradients_bytes"])});
    t.row({"optimizer states (master weights, moments)", bytes(m["optimizer_bytes"])});
    t.row({"activations kept for the backward pass (" + cell(r.path("summary.training.recompute").as_string()) +
               " recomputation)",
           bytes(m["activations_bytes"])});
    if (m["gathered_weights_bytes"].valid()) {
      t.row({"ZeRO-3 gathered weights (the largest unit, while it runs)", bytes(m["gathered_weights_bytes"])});
    }
  } else {
    t.row({"peak activations (largest live set of one op)", bytes(m["activations_peak_bytes"])});
  }
  t.row({"**total**", "**" + bytes(m["total_bytes"]) + "**"});
  t.row({"capacity (" + cell(r.path("hardware.name").as_string()) + ")", bytes(m["capacity_bytes"])});
  t.row({"fits", m["fits"].is_null() ? "n/a" : m["fits"].as_bool() ? "yes" : "**NO**"});
  if (m["all_gpus_total_bytes"].valid()) t.row({"all GPUs together", bytes(m["all_gpus_total_bytes"])});
  return std::string(r.path("summary.parallel").valid() ? "## Memory (per GPU)\n\n" : "## Memory\n\n") + t.text();
}

std::string workload_section(const Doc& r) {
  const Doc w = r["workload"];
  std::string md = "## Workload `" + cell(w["name"].as_string()) + "`\n\n";
  if (!w["description"].as_string().empty()) md += str(w, "description") + "\n\n";
  md +=
      "Sources: `default` (the plugin's declared default), `model` (the model file), `workload` (the workload "
      "file), `--set` (the command line), `unset` (no value).\n\n";
  Table t({"key", "value", "source"});
  const Doc values = w["values"], sources = w["sources"];
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string_view key = values.key(i);
    t.row({code(key), values.at(i).is_null() ? "—" : code(plain(values.at(i))), cell(sources[key].as_string())});
  }
  return md + t.text();
}

std::string hardware_section(const Doc& r) {
  const Doc h = r["hardware"], p = r["precision"];
  std::string md = "## Hardware `" + cell(h["id"].as_string()) + "`\n\n";
  Table t({"property", "value"});
  t.row({"name", cell(h["name"].as_string())});
  t.row({"vendor", cell(h["vendor"].as_string())});
  const Doc tc = h["tensor_core_flops"];
  for (std::size_t i = 0; i < tc.size(); ++i) {
    t.row({"Tensor-Core peak, " + cell(tc.key(i)), si(tc.at(i).as_number(), "FLOP/s")});
  }
  t.row({"CUDA-core peak, fp32", si(h["cuda_core_fp32_flops"].as_number(), "FLOP/s")});
  t.row({"memory bandwidth", si(h["bandwidth_bytes_per_s"].as_number(), "B/s")});
  t.row({"memory capacity", bytes(h["capacity_bytes"])});
  const Doc e = h["efficiency"];
  t.row({"efficiency (tensor core, CUDA core, memory)", sig3(e["tensor_core"].as_number()) + ", " +
                                                            sig3(e["cuda_core"].as_number()) + ", " +
                                                            sig3(e["memory"].as_number())});
  const double peak = p["tensor_core_peak_flops"].as_number(), bw = h["bandwidth_bytes_per_s"].as_number();
  t.row({"compute precision, its Tensor-Core peak", code(p["compute_dtype"].as_string()) + ", " + si(peak, "FLOP/s")});
  if (bw > 0) t.row({"ridge point (peak / bandwidth)", sig3(peak / bw) + " FLOP/B"});
  t.row({"precision: weights, activations, KV cache", code(p["weights"].as_string()) + ", " +
                                                          code(p["activations"].as_string()) + ", " +
                                                          code(p["kv_cache"].as_string())});
  md += t.text();
  if (!h["roofline"].as_string().empty()) md += "\nTiming model: " + str(h, "roofline") + ".\n";
  if (!h["calibration"].is_null()) {
    md += "\nTime model: `" + str(h, "time_model") + "`. " + str(h["calibration"], "note") + "\n";
  }
  return md;
}

std::string model_section(const Doc& r) {
  const Doc config = r.path("model.config");
  std::string md = "## Model `" + cell(r.path("model.name").as_string()) + "`\n\n";
  if (!r.path("plugin.description").as_string().empty()) md += str(r, "plugin.description") + "\n\n";
  if (config.size() == 0) return md;
  Table t({"config key", "value"});
  for (std::size_t i = 0; i < config.size(); ++i) t.row({code(config.key(i)), code(plain(config.at(i)))});
  return md + t.text();
}

std::string stage_section(const Doc& r, std::string_view name, const Doc& stage) {
  const Doc layers = r["layers"];
  const double stage_time = stage["time_s"].as_number();
  std::string md = "## Stage " + std::string(name) + "\n\n";
  md += "Batch " + count(stage["batch"].as_number()) + ", " +
        (name == "forward" ? counted(stage["query_tokens"], "token") + " per sample"
                           : counted(stage["query_tokens"], "query token") + ", context " +
                                 counted(stage["kv_len"], "position") + ", " + counted(stage["steps"], "step")) +
        ": " + seconds(stage["time_s"]) + ", " + cell(stage["bound"].as_string()) + "-bound (compute-bound ops take " +
        seconds(stage["compute_bound_time_s"]) + ")" +
        (stage["roofline_time_s"].is_null() || stage["roofline_time_s"].as_number() == stage_time
             ? std::string()
             : "; pure roofline " + seconds(stage["roofline_time_s"])) +
        ".\n\n";

  const std::vector<std::string> header = {"TC FLOPs", "CUDA FLOPs", "I/O bytes",          "intensity (FLOP/B)",
                                           "time",     "bound",      "share of stage time"};
  auto with_first = [&](std::string first) {
    std::vector<std::string> h = header;
    h.insert(h.begin(), std::move(first));
    return h;
  };

  md += "### Components\n\n";
  Table comp(with_first("component"));
  const Doc components = stage["components"];
  for (std::size_t i = 0; i < components.size(); ++i) {
    const Doc c = components.at(i);
    auto row = metric_cells(c);
    row.insert(row.begin(), cell(components.key(i)));
    row.insert(row.end(),
               {seconds(c["time_s"]), cell(c["bound"].as_string()), percent(c["share_of_time"].as_number())});
    comp.row(row);
  }
  auto total = metric_cells(stage.path("totals.forward"));
  total.insert(total.begin(), "**total**");
  total.insert(total.end(), {seconds(stage["time_s"]), cell(stage["bound"].as_string()), "100%"});
  comp.row(total);
  md += comp.text();

  md += "\n### Operator categories\n\n";
  Table cat(with_first("category"));
  const Doc categories = stage["categories"];
  for (std::size_t i = 0; i < categories.size(); ++i) {
    const Doc c = categories.at(i);
    auto row = metric_cells(c);
    row.insert(row.begin(), code(categories.key(i)));
    row.insert(row.end(), {seconds(c["time_s"]), cell(c["bound"].as_string()),
                           percent(stage_time > 0 ? c["time_s"].as_number() / stage_time : 0)});
    cat.row(row);
  }
  md += cat.text();

  const Doc per_step = stage["per_step"];
  if (per_step.size() > 0) {
    md += "\n### One decode step\n\n";
    Table t({"step", "TC FLOPs", "CUDA FLOPs", "I/O bytes", "intensity (FLOP/B)", "KV cache", "time"});
    for (std::size_t i = 0; i < per_step.size(); ++i) {
      const Doc s = per_step.at(i);
      auto row = metric_cells(s);
      row.insert(row.begin(), cell(per_step.key(i)));
      row.insert(row.end(), {bytes(s["kv_cache_bytes"]), seconds(s["time_s"])});
      t.row(row);
    }
    md += t.text();
  }

  std::vector<Op> ops;
  if (stage["modules"].valid()) collect_leaves(stage["modules"], 1.0, ops);
  std::stable_sort(ops.begin(), ops.end(), [](const Op& a, const Op& b) {
    if (a.time_s != b.time_s) return a.time_s > b.time_s;
    return a.node["id"].as_string() < b.node["id"].as_string();
  });
  if (ops.size() > 10) ops.resize(10);
  md += "\n### Top " + std::to_string(ops.size()) + " ops by time\n\n";
  md +=
      "Leaf ops; count = instances in the stage (the product of the repeats from the root), time = all of them"
      ".";
  const Doc glue = categories["composite"];
  if (glue.valid()) {
    md += " The glue ops of composite layers (category `composite`, " +
          percent(stage_time > 0 ? glue["time_s"].as_number() / stage_time : 0) +
          " of the stage) are counted in the categories above, not here.";
  }
  md += "\n\n";
  Table top({"#", "op", "class", "category", "count", "time", "share of stage time", "bound"});
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const Doc n = ops[i].node;
    top.row({std::to_string(i + 1), code(n["id"].as_string()), class_link(layers, n["class"].as_string()),
             code(n["category"].as_string()), count(ops[i].multiplicity), si(ops[i].time_s, "s", true),
             percent(stage_time > 0 ? ops[i].time_s / stage_time : 0), cell(n["bound"].as_string())});
  }
  return md + top.text();
}

std::string classes_section(const Doc& layers) {
  Table t({"class", "category", "instances"});
  for (std::size_t i = 0; i < layers.size(); ++i) {
    t.row({class_link(layers, layers.key(i)), code(layers.at(i)["category"].as_string()),
           std::to_string(layers.at(i)["instances"].size())});
  }
  return "## Layer classes\n\nOne page per class under `layers/`: what it is, its formulas, its assumptions and "
         "the shapes it ran with.\n\n" +
         t.text();
}

// The `serving` object of `modelmeter simulate` (docs/serving.md), when the report has one.
std::string serving_section(const Doc& r) {
  const Doc s = r["serving"];
  std::string md = "## Serving simulation\n\n";
  md += "Time model `" + std::string(s["time_model"].as_string()) +
        "`: " + std::string(s["time_model_note"].as_string()) +
        ". The summary below is one request alone (batch 1).\n\n";
  const Doc a = s["arrival"], sc = s["scheduler"], w = s["window"], th = s["throughput"], kv = s["kv_cache"];
  std::string arrival = std::string(a["kind"].as_string());
  if (!a["concurrency"].is_null()) arrival += " loop at concurrency " + count(a["concurrency"].as_number());
  if (!a["rate_per_s"].is_null()) arrival += " at " + sig3(a["rate_per_s"].as_number()) + " requests/s";
  Table t({"figure", "value"});
  t.row({"arrivals",
         cell(arrival) + ", " + count(a["requests"].as_number()) + " requests, seed " + count(a["seed"].as_number())});
  t.row({"request", count(a["prompt_tokens"].as_number()) + " prompt tokens, " + count(a["output_tokens"].as_number()) +
                        " output tokens (" + cell(a["output_dist"].as_string()) + ")"});
  t.row({"scheduler", "max_num_seqs " + count(sc["max_num_seqs"].as_number()) + ", max_num_batched_tokens " +
                          count(sc["max_num_batched_tokens"].as_number()) + ", chunked prefill " +
                          (sc["chunked_prefill"].as_bool() ? "on" : "off")});
  t.row({"KV cache", count(kv["blocks"].as_number()) + " blocks of " + count(sc["block_size"].as_number()) +
                         " tokens; mean use " + percent(kv["mean_use"].as_number())});
  t.row({"measured", count(w["measured_requests"].as_number()) + " requests (" +
                         count(w["warmup_requests"].as_number()) + " warm-up, " +
                         count(w["cooldown_requests"].as_number()) + " cool-down completions left out)"});
  t.row({"request throughput", sig3(th["requests_per_s"].as_number()) + " requests/s"});
  t.row({"output throughput", sig3(th["output_tokens_per_s"].as_number()) + " tokens/s"});
  t.row({"total throughput", sig3(th["total_tokens_per_s"].as_number()) + " tokens/s"});
  if (!th["pages_per_day"].is_null()) t.row({"pages per day", count(std::round(th["pages_per_day"].as_number()))});
  t.row({"batch", "mean " + sig3(s["mean_batch"].as_number()) + ", max " + count(s["max_batch"].as_number())});
  t.row({"preemptions", count(s["preemptions"].as_number())});
  md += t.text() + "\n";
  Table p({"latency", "mean", "p50", "p90", "p99"});
  for (const char* k : {"ttft_s", "tpot_s", "itl_s", "e2e_s"}) {
    const Doc x = s[k];
    p.row({k, seconds(x["mean"]), seconds(x["p50"]), seconds(x["p90"]), seconds(x["p99"])});
  }
  md += p.text() + "\n";
  const Doc tb = s["time_breakdown_s"];
  double total = 0;
  for (std::size_t i = 0; i < tb.size(); ++i) total += tb.at(i).as_number();
  Table b({"iteration time term", "time in window", "share"});
  for (std::size_t i = 0; i < tb.size(); ++i) {
    b.row({cell(tb.key(i)), seconds(tb.at(i)), percent(total > 0 ? tb.at(i).as_number() / total : 0)});
  }
  return md + b.text();
}

std::string report_md(const Doc& r) {
  std::string md;
  md += "# ModelMeter report: " + str(r, "model.name") + ", workload " + str(r, "workload.name") + ", " +
        str(r, "hardware.name") + "\n\n";
  md += "ModelMeter " + str(r, "tool.version") + " analytic report: plugin `" + str(r, "plugin.name") + "` " +
        str(r, "plugin.version") + " (ABI " + str(r, "plugin.abi_version_text") + "), model `" + str(r, "model.name") +
        "`, workload `" + str(r, "workload.name") + "`, hardware `" + str(r, "hardware.id") + "`.\n\n";
  md +=
      "Figures have 3 significant digits with decimal SI prefixes (1 GB = 10^9 bytes, 1 TFLOP = 10^12 FLOPs); "
      "FLOPs and bytes are the forward pass; times follow the time model below (calibrated or roofline).\n\n";

  const Doc warnings = r["warnings"];
  if (warnings.size() > 0) {
    md += "## Warnings\n\n";
    for (std::size_t i = 0; i < warnings.size(); ++i) md += "- " + std::string(warnings.at(i).as_string()) + "\n";
    md += "\n";
  }
  if (!r["serving"].is_null()) md += serving_section(r) + "\n";
  const std::string_view task = r.path("summary.task").as_string();  // empty: a generation report
  if (task.empty() || task == "generate") {
    md += summary_section(r) + "\n";
    md += memory_section(r) + "\n";
  } else {
    md += task_summary_section(r, task) + "\n";
    md += task_memory_section(r, task) + "\n";
  }
  md += workload_section(r) + "\n";
  md += hardware_section(r) + "\n";
  md += model_section(r) + "\n";
  const Doc stages = r["stages"];
  for (std::size_t i = 0; i < stages.size(); ++i) md += stage_section(r, stages.key(i), stages.at(i)) + "\n";
  md += classes_section(r["layers"]);
  return md;
}

// ------------------------------------------------------------------------------------------------------
// sweep.md

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// One sweep cell, in the unit its column name gives.
std::string sweep_cell(std::string_view column, const Doc& v) {
  if (v.is_null()) return "—";
  if (v.type() == MM_DOC_BOOL) return v.as_bool() ? "yes" : "no";
  if (v.type() == MM_DOC_STRING) return cell(v.as_string());
  if (v.type() != MM_DOC_INT && v.type() != MM_DOC_NUMBER) return cell(plain(v));
  if (ends_with(column, "tokens_per_s")) return sig3(v.as_number()) + " tokens/s";
  if (ends_with(column, "_s")) return si(v.as_number(), "s", true);
  if (ends_with(column, "flops")) return si(v.as_number(), "FLOP");
  if (ends_with(column, "bytes")) return si(v.as_number(), "B");
  return cell(plain(v));
}

std::string sweep_md(const Doc& r) {
  std::string md = "# Sweep of " + str(r, "plugin.name") + ", workload " + str(r, "workload.name") + "\n\n";
  md += "ModelMeter " + str(r, "tool.version") + ", plugin `" + str(r, "plugin.name") + "` " +
        str(r, "plugin.version") + ". Varied: ";
  const Doc varied = r["varied"];
  for (std::size_t i = 0; i < varied.size(); ++i) md += (i ? ", " : "") + code(varied.at(i).as_string());
  md += varied.size() == 0 ? "nothing.\n\n" : ".\n\n";
  if (r["interrupted"].as_bool()) md += "**Interrupted**: only the points done before Ctrl-C are listed.\n\n";

  const Doc columns = r["columns"], rows = r["rows"];
  std::vector<std::string> header;
  for (std::size_t i = 0; i < columns.size(); ++i) header.push_back(cell(columns.at(i).as_string()));
  Table t(header);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Doc row = rows.at(i);
    if (row.size() != columns.size()) {
      throw modelmeter::InvalidArgument("sweep row " + std::to_string(i) + " has " + std::to_string(row.size()) +
                                        " values for " + std::to_string(columns.size()) + " columns");
    }
    std::vector<std::string> cells;
    for (std::size_t c = 0; c < row.size(); ++c) cells.push_back(sweep_cell(columns.at(c).as_string(), row.at(c)));
    t.row(cells);
  }
  return md + t.text();
}

// plan.md: the ranked candidates of `modelmeter plan` (docs/serving.md), Pareto ones marked.
std::string plan_md(const Doc& r) {
  std::string md = "# Serving plan of " + str(r, "plugin.name") + ", workload " + str(r, "workload.name") + "\n\n";
  md += "ModelMeter " + str(r, "tool.version") + ". SLA: ";
  const Doc sla = r["sla"];
  std::string bounds;
  if (!sla["ttft_p99_s"].is_null()) bounds += "TTFT p99 ≤ " + seconds(sla["ttft_p99_s"]);
  if (!sla["tpot_p99_s"].is_null())
    bounds += (bounds.empty() ? "" : ", ") + ("TPOT p99 ≤ " + seconds(sla["tpot_p99_s"]));
  md += (bounds.empty() ? std::string("none") : bounds) + ". Layouts: " + str(r, "layouts") +
        ". Load: " + str(r, "load.arrival") + "; " + str(r, "load.split") + ". " +
        count(r["requests_per_candidate"].as_number()) + " requests simulated per candidate. " + str(r, "price") +
        ".\n\n";
  const Doc columns = r["columns"], rows = r["rows"];
  std::size_t pareto_col = columns.size();
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns.at(i).as_string() == "pareto") pareto_col = i;
  auto table = [&](bool pareto_only) {
    std::vector<std::string> header;
    for (std::size_t i = 0; i < columns.size(); ++i) header.push_back(cell(columns.at(i).as_string()));
    Table t(header);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Doc row = rows.at(i);
      if (pareto_only && (pareto_col >= row.size() || !row.at(pareto_col).as_bool())) continue;
      std::vector<std::string> cells;
      for (std::size_t c = 0; c < row.size(); ++c) {
        const std::string_view name = columns.at(c).as_string();
        const Doc v = row.at(c);
        const bool rate = name.find("per_s") != std::string_view::npos && !v.is_null();
        cells.push_back(rate ? sig3(v.as_number()) : sweep_cell(name, v));
      }
      t.row(cells);
    }
    return t.text();
  };
  md += "## Pareto front (throughput per GPU against p99 TTFT and TPOT)\n\n" + table(true) + "\n";
  md += "## All candidates, ranked (meeting the SLA first, then by output tokens/s per GPU)\n\n" + table(false);
  return md;
}

// ------------------------------------------------------------------------------------------------------

struct MarkdownWriter {
  static constexpr const char* kName = "markdown";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription =
      "report.md (human summary, tables per stage and component) and layers/<ClassName>.md (formula pages)";
  static constexpr const char* kFormat = "md";

  static void write(const Doc& doc, const modelmeter::Output& out) {
    const std::string_view kind = doc["kind"].as_string();
    if (kind == "report") {
      write_class_pages(doc["layers"], true, out);
      out.emit("report.md", report_md(doc));
    } else if (kind == "docs") {
      write_class_pages(doc["layers"], false, out);
    } else if (kind == "sweep") {
      out.emit("sweep.md", sweep_md(doc));
    } else if (kind == "plan") {
      out.emit("plan.md", plan_md(doc));
    } else {
      throw modelmeter::InvalidArgument("unknown document kind '" + std::string(kind) + "'");
    }
  }
};

}  // namespace

MODELMETER_WRITER_PLUGIN(MarkdownWriter)
