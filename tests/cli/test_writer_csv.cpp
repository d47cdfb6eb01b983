// The `csv` writer: report.csv has one row per module node per stage with the report's figures, sweep documents
// become sweep.csv, docs documents are refused; every file parses as RFC 4180 with one field per column.
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <vector>

// The C ABI, for handing the plugin documents no command produces yet (the cli target has no SDK include path).
#include "support/process.hpp"
#include "support/writer_harness.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

ProcessResult mm(std::vector<std::string> args) {
  args.insert(args.begin(), kHost);
  return run_process(args);
}

const TempDir& std_v1() {
  return std_v1_run(kHost, "json,csv");
}

using Rows = std::vector<std::vector<std::string>>;

// RFC 4180: fields separated by commas, records ended by LF or CRLF (the last one too); a field starting with a
// double quote runs to the matching quote, "" standing for one quote, and may hold commas and line breaks.
Rows parse_csv(const std::string& text) {
  Rows rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c != '"') {
        field += c;
      } else if (i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      REQUIRE_MESSAGE((field.empty() && !was_quoted), "a quote inside an unquoted field, record " << rows.size());
      quoted = was_quoted = true;
    } else if (c == ',' || c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      row.push_back(std::move(field));
      field.clear();
      was_quoted = false;
      if (c == '\r') ++i;
      if (c != ',') {
        rows.push_back(std::move(row));
        row.clear();
      }
    } else {
      REQUIRE_MESSAGE((!was_quoted && c != '\r'), "text after a closing quote or a bare CR, record " << rows.size());
      field += c;
    }
  }
  REQUIRE_MESSAGE((!quoted && field.empty() && row.empty()), "the last record is unterminated");
  return rows;
}

double number(const std::string& field) {
  double v = 0;
  const auto r = std::from_chars(field.data(), field.data() + field.size(), v);
  REQUIRE_MESSAGE((r.ec == std::errc() && r.ptr == field.data() + field.size()), "not a number: '" << field << "'");
  return v;
}

// A JSON number against the CSV field: exact for integers; for doubles within a few ulps, because Boost.JSON 1.81
// parses the json writer's text to within an ulp or two, not exactly.
void check_number(const std::string& field, const boost::json::value& v) {
  CAPTURE(field);
  if (v.is_null()) {
    CHECK(field.empty());
  } else if (v.is_int64()) {
    CHECK(field == std::to_string(v.as_int64()));
  } else {
    CHECK(std::fabs(number(field) - v.as_double()) <=
          4 * std::numeric_limits<double>::epsilon() * std::fabs(v.as_double()));
  }
}

const char* const kHeaderLine =
    "stage,id,name,class,category,component,repeat,multiplicity,shapes,tc_flops,cuda_flops,io_bytes,weight_bytes,"
    "parameters,activation_bytes,kv_cache_bytes,live_bytes,comm_bytes,arithmetic_intensity,time_s,bound,"
    "backward_tc_flops,"
    "backward_cuda_flops,backward_io_bytes";

const std::vector<std::string> kHeader = [] {
  std::vector<std::string> names(1);
  for (const char* c = kHeaderLine; *c != '\0'; ++c) {
    if (*c == ',') {
      names.emplace_back();
    } else {
      names.back() += *c;
    }
  }
  return names;
}();

std::size_t column(const std::string& name) {
  for (std::size_t i = 0; i < kHeader.size(); ++i)
    if (kHeader[i] == name) return i;
  FAIL("no column " << name);
  return 0;
}

struct Expected {
  std::string stage;
  const boost::json::object* node;
  double multiplicity;
};

void walk(const std::string& stage, const boost::json::object& node, double outer, std::vector<Expected>& out) {
  const double m = outer * node.at("repeat").to_number<double>();
  out.push_back({stage, &node, m});
  for (const auto& child : node.at("children").as_array()) walk(stage, child.as_object(), m, out);
}

}  // namespace

TEST_CASE("csv: report.csv has the header and one row per module node per stage, with the report's figures") {
  const TempDir& dir = std_v1();
  REQUIRE(fs::exists(dir / "report.csv"));
  const Rows rows = parse_csv(read_file(dir / "report.csv"));
  const auto j = boost::json::parse(read_file(dir / "report.json"));
  REQUIRE(!rows.empty());
  CHECK(rows[0] == kHeader);
  for (std::size_t r = 0; r < rows.size(); ++r) {
    CAPTURE(r);
    REQUIRE(rows[r].size() == kHeader.size());
  }
  std::vector<Expected> expected;
  for (const auto& stage : j.at("stages").as_object())
    walk(std::string(stage.key()), stage.value().at("modules").as_object(), 1.0, expected);
  CHECK(expected.size() > 200);  // std-v1: vision, prefill and decode trees
  REQUIRE(rows.size() == expected.size() + 1);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::vector<std::string>& row = rows[i + 1];
    const boost::json::object& node = *expected[i].node;
    CAPTURE(row[column("id")]);
    CHECK(row[column("stage")] == expected[i].stage);
    for (const char* key : {"id", "name", "class", "category", "component", "bound"})
      CHECK(row[column(key)] == node.at(key).as_string());
    CHECK(row[column("shapes")] == (node.at("shapes").is_null() ? "" : node.at("shapes").as_string()));
    check_number(row[column("repeat")], node.at("repeat"));
    CHECK(number(row[column("multiplicity")]) == expected[i].multiplicity);
    check_number(row[column("time_s")], node.at("time_s"));
    for (const auto& metric : node.at("forward").as_object())
      check_number(row[column(std::string(metric.key()))], metric.value());
    for (const char* key : {"tc_flops", "cuda_flops", "io_bytes"})
      check_number(row[column(std::string("backward_") + key)], node.at("backward").at(key));
  }
}

TEST_CASE("csv: each stage's root row gives the stage's summary figures") {
  const TempDir& dir = std_v1();
  const Rows rows = parse_csv(read_file(dir / "report.csv"));
  const auto j = boost::json::parse(read_file(dir / "report.json"));
  const auto& stages = j.at("summary").at("stages").as_object();
  CHECK(stages.size() == 3);
  for (const auto& stage : stages) {
    CAPTURE(stage.key());
    std::size_t roots = 0;
    for (const auto& row : rows) {
      if (row[column("stage")] != stage.key() || row[column("id")] != "model") continue;
      ++roots;
      CHECK(row[column("multiplicity")] == "1");
      for (const char* key : {"tc_flops", "cuda_flops", "io_bytes", "time_s"})
        check_number(row[column(key)], stage.value().at(key));
      CHECK(row[column("bound")] == stage.value().at("bound").as_string());
    }
    CHECK(roots == 1);
  }
  // The prefill root's Tensor-Core FLOPs, to the digit.
  const auto& tc = stages.at("prefill").at("tc_flops");
  REQUIRE(tc.is_int64());
  CHECK(read_file(dir / "report.csv").find("\nprefill,model,model,") != std::string::npos);
  for (const auto& row : rows)
    if (row[0] == "prefill" && row[1] == "model") CHECK(row[column("tc_flops")] == std::to_string(tc.as_int64()));
}

TEST_CASE("csv: module ids holding commas are quoted, and come back whole") {
  const TempDir& dir = std_v1();
  const std::string text = read_file(dir / "report.csv");
  CHECK(text.find("\nvision,\"model.sam_model.blocks.{0,1,3,4,6,7,9,10}\",\"blocks.{0,1,3,4,6,7,9,10}\",Block,") !=
        std::string::npos);
  std::size_t found = 0;
  for (const auto& row : parse_csv(text)) found += row[column("id")] == "model.sam_model.blocks.{0,1,3,4,6,7,9,10}";
  CHECK(found == 1);  // the vision stage only
}

TEST_CASE("csv: two runs write byte-identical report.csv") {
  const TempDir dir("modelmeter-csv-again");
  const ProcessResult r =
      mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "csv", "--out", dir.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(dir / "report.csv") == read_file(std_v1() / "report.csv"));
}

TEST_CASE("csv: a sweep document becomes sweep.csv, quoted where RFC 4180 asks, numbers in shortest form") {
  const auto doc = boost::json::parse(R"({
    "schema_version": 1, "kind": "sweep",
    "tool": {"name": "modelmeter", "version": "0.1.0"},
    "workload": {"name": "std-v1"},
    "varied": ["vision.mode"],
    "columns": ["vision.mode", "hardware", "feasible", "reason", "prefill_tokens", "ttft_s", "tpot_s", "x"],
    "rows": [["\"gundam\"", "h100-sxm", true, "", 913, 0.0116, 1e-05, 3.0],
             ["\"tiny\"", "a100-40g", false, "does not fit: \"1\", 2\nnext\r", null, 2.5e20, 1e20, -0.5]],
    "interrupted": false
  })");
  const Written w = write_with(writer_file(kHost, "csv"), doc);
  CAPTURE(w.message);
  REQUIRE(w.status == MM_OK);
  REQUIRE(w.files.size() == 1);
  REQUIRE(w.files.count("sweep.csv") == 1);
  const std::string& text = w.files.at("sweep.csv");
  CHECK(text ==
        "vision.mode,hardware,feasible,reason,prefill_tokens,ttft_s,tpot_s,x\n"
        "\"\"\"gundam\"\"\",h100-sxm,true,,913,0.0116,1e-05,3\n"
        "\"\"\"tiny\"\"\",a100-40g,false,\"does not fit: \"\"1\"\", 2\nnext\r\",,2.5e+20,1e+20,-0.5\n");
  const Rows rows = parse_csv(text);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1][0] == "\"gundam\"");
  CHECK(rows[2][3] == "does not fit: \"1\", 2\nnext\r");
  for (const auto& row : rows) CHECK(row.size() == 8);
}

TEST_CASE("csv: a sweep row of the wrong length and a docs document are refused") {
  const std::string file = writer_file(kHost, "csv");
  Written w = write_with(file, boost::json::parse(R"({"kind": "sweep", "columns": ["a", "b"], "rows": [[1]]})"));
  CHECK(w.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(w.message.find("sweep row 0 has 1 values for 2 columns") != std::string::npos);
  CHECK(w.files.empty());
  w = write_with(file, boost::json::parse(R"({"schema_version": 1, "kind": "docs", "layers": {}})"));
  CHECK(w.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(w.message.find("the csv writer writes reports and sweeps, not layer pages") != std::string::npos);
  CHECK(w.files.empty());
}

TEST_CASE("csv: sweep writes the document's columns and one row per point, docs --format csv fails") {
  const TempDir dir("modelmeter-csv-sweep");
  ProcessResult r =
      mm({"sweep", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--vary", "vision.mode=\"gundam\",\"base\"",
          "--vary", "decode.max_new_tokens=100,8000", "--format", "csv", "--out", dir / "sweep"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string text = read_file(dir / "sweep/sweep.csv");
  const Rows rows = parse_csv(text);
  REQUIRE(rows.size() == 5);
  CHECK(rows[0].size() == 24);
  for (const auto& row : rows) CHECK(row.size() == rows[0].size());
  CHECK(text.rfind("vision.mode,decode.max_new_tokens,hardware,feasible,reason,vision_tokens,", 0) == 0);
  CHECK(text.find("\n\"\"\"gundam\"\"\",100,h100-sxm,true,,903,913,99,") != std::string::npos);
  CHECK(rows[1][0] == "\"gundam\"");
  CHECK(rows[2][3] == "false");
  CHECK(rows[2][4].find("exceeds the model's maximum of 8192 positions") != std::string::npos);
  CHECK(rows[2].back().empty());  // null: no figures for an infeasible point

  r = mm({"docs", "--plugin", "deepseek_ocr", "--format", "csv", "--out", dir / "docs"});
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("the csv writer writes reports and sweeps, not layer pages") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "docs"));
}
