// The `csv` writer: report.csv (kind "report"), one row per module node per stage, or sweep.csv (kind "sweep"),
// the sweep's `columns` as the header and one line per row.
//
// report.csv columns, in this order, for every node of stages.<stage>.modules (stages in report order, each tree
// depth-first, a parent before its children):
//   stage, id, name, class, category, component, repeat, multiplicity, shapes,
//   tc_flops, cuda_flops, io_bytes, weight_bytes, parameters, activation_bytes, kv_cache_bytes, live_bytes,
//   comm_bytes, arithmetic_intensity, time_s, bound,                   (forward, and the node's roofline time and
//   bound) backward_tc_flops, backward_cuda_flops, backward_io_bytes
// Figures are the report's: one instance of the node, its children included, over all steps of the stage.
// `multiplicity` is the product of the repeats from the root down to the node, its own included: figure ×
// multiplicity is the node's share of the stage.
//
// Fields follow RFC 4180: one holding a comma, a double quote, CR or LF is double-quoted, quotes doubled; records
// end with "\n". null is an empty field, booleans true/false. Integers, and whole doubles below 2^53, are written
// as integers; other doubles in their shortest round-trip form (std::to_chars: "0.0123", "1.5e-05").
#include <charconv>
#include <cmath>
#include <modelmeter/sdk.hpp>
#include <string>
#include <string_view>

namespace {

using modelmeter::Doc;

class Csv {
 public:
  void text(std::string_view s) {
    separate();
    if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
      out_ += s;
      return;
    }
    out_ += '"';
    for (const char c : s) {
      if (c == '"') out_ += '"';
      out_ += c;
    }
    out_ += '"';
  }

  void number(double v) {
    separate();
    if (!std::isfinite(v)) return;  // empty, like null (core never produces NaN/inf)
    if (v == std::floor(v) && std::fabs(v) < 9007199254740992.0) {
      out_ += std::to_string(static_cast<long long>(v));
      return;
    }
    char buf[64];
    out_.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
  }

  void field(const Doc& d) {
    switch (d.type()) {
      case MM_DOC_NULL:
        separate();
        break;
      case MM_DOC_BOOL:
        text(d.as_bool() ? "true" : "false");
        break;
      case MM_DOC_INT:
        text(std::to_string(d.as_int()));
        break;
      case MM_DOC_NUMBER:
        number(d.as_number());
        break;
      case MM_DOC_STRING:
        text(d.as_string());
        break;
      default:
        throw modelmeter::InvalidArgument("a CSV field cannot hold an array or an object");
    }
  }

  void end_row() {
    out_ += '\n';
    first_ = true;
  }

  const std::string& str() const noexcept { return out_; }

 private:
  void separate() {
    if (!first_) out_ += ',';
    first_ = false;
  }

  std::string out_;
  bool first_ = true;
};

constexpr std::string_view kModuleColumns[] = {"stage",     "id",     "name",         "class", "category",
                                               "component", "repeat", "multiplicity", "shapes"};
constexpr std::string_view kNodeTexts[] = {"id", "name", "class", "category", "component"};
constexpr std::string_view kForward[] = {"tc_flops",   "cuda_flops",          "io_bytes",       "weight_bytes",
                                         "parameters", "activation_bytes",    "kv_cache_bytes", "live_bytes",
                                         "comm_bytes", "arithmetic_intensity"};
constexpr std::string_view kBackward[] = {"tc_flops", "cuda_flops", "io_bytes"};

void module_rows(Csv& csv, std::string_view stage, const Doc& node, double outer_repeat) {
  const double multiplicity = outer_repeat * node["repeat"].as_number();
  csv.text(stage);
  for (const std::string_view key : kNodeTexts) csv.field(node[key]);
  csv.field(node["repeat"]);
  csv.number(multiplicity);
  csv.field(node["shapes"]);
  const Doc forward = node["forward"];
  for (const std::string_view key : kForward) csv.field(forward[key]);
  csv.field(node["time_s"]);
  csv.field(node["bound"]);
  const Doc backward = node["backward"];
  for (const std::string_view key : kBackward) csv.field(backward[key]);
  csv.end_row();
  const Doc children = node["children"];
  for (std::size_t i = 0; i < children.size(); ++i) module_rows(csv, stage, children.at(i), multiplicity);
}

std::string report_csv(const Doc& report) {
  Csv csv;
  for (const std::string_view name : kModuleColumns) csv.text(name);
  for (const std::string_view name : kForward) csv.text(name);
  csv.text("time_s");
  csv.text("bound");
  for (const std::string_view name : kBackward) csv.text("backward_" + std::string(name));
  csv.end_row();
  const Doc stages = report["stages"];
  for (std::size_t i = 0; i < stages.size(); ++i) module_rows(csv, stages.key(i), stages.at(i)["modules"], 1.0);
  return csv.str();
}

std::string sweep_csv(const Doc& sweep) {
  Csv csv;
  const Doc columns = sweep["columns"];
  for (std::size_t i = 0; i < columns.size(); ++i) csv.field(columns.at(i));
  csv.end_row();
  const Doc rows = sweep["rows"];
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Doc row = rows.at(r);
    if (row.size() != columns.size()) {
      throw modelmeter::InvalidArgument("sweep row " + std::to_string(r) + " has " + std::to_string(row.size()) +
                                        " values for " + std::to_string(columns.size()) + " columns");
    }
    for (std::size_t i = 0; i < row.size(); ++i) csv.field(row.at(i));
    csv.end_row();
  }
  // An interrupted sweep ends with a marker row that any CSV reader sees (one field, not a number, so a typed
  // reader fails on it rather than take the file as complete; pandas' comment='#' skips it).
  if (sweep["interrupted"].as_bool()) {
    return csv.str() + "# partial: the sweep was interrupted; the rows above are the points done\n";
  }
  return csv.str();
}

struct CsvWriter {
  static constexpr const char* kName = "csv";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "report.csv: one row per module per stage / sweep.csv: a sweep's rows";
  static constexpr const char* kFormat = "csv";

  static void write(const modelmeter::Doc& doc, const modelmeter::Output& out) {
    const std::string_view kind = doc["kind"].as_string();
    if (kind == "report") {
      out.emit("report.csv", report_csv(doc));
    } else if (kind == "sweep") {
      out.emit("sweep.csv", sweep_csv(doc));
    } else if (kind == "plan") {
      out.emit("plan.csv", sweep_csv(doc));  // a plan's columns and rows have a sweep's shape
    } else if (kind == "docs") {
      throw modelmeter::InvalidArgument("the csv writer writes reports and sweeps, not layer pages");
    } else {
      throw modelmeter::InvalidArgument("the csv writer cannot write a document of kind '" + std::string(kind) + "'");
    }
  }
};

}  // namespace

MODELMETER_WRITER_PLUGIN(CsvWriter)
