// The `yaml` writer: report.yaml holds what report.json holds, deterministically, with every string read back as a
// string; sweep documents become sweep.yaml and docs documents are refused.
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <deque>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
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
  return std_v1_run(kHost, "json,yaml");
}

// The scalar text after "key: " at a path of block-mapping keys (two spaces of indentation per level), or nullopt.
std::optional<std::string> yaml_scalar(const std::vector<std::string>& lines, const std::vector<std::string>& path) {
  std::size_t from = 0, end = lines.size();
  for (std::size_t depth = 0; depth < path.size(); ++depth) {
    const std::string indent(2 * depth, ' ');
    const std::string head = indent + path[depth] + ":";
    std::size_t i = from;
    while (i < end &&
           !(lines[i].rfind(head, 0) == 0 && (lines[i].size() == head.size() || lines[i][head.size()] == ' ')))
      ++i;
    if (i == end) return std::nullopt;
    if (depth + 1 == path.size()) return lines[i].size() == head.size() ? "" : lines[i].substr(head.size() + 1);
    std::size_t j = i + 1;  // the key's block: the lines indented deeper
    while (j < end && lines[j].rfind(indent + "  ", 0) == 0) ++j;
    from = i + 1;
    end = j;
  }
  return std::nullopt;
}

// Checks that every scalar under `v` (objects only) appears in report.yaml with the same value.
void check_same(const boost::json::value& v, const std::vector<std::string>& lines, std::vector<std::string> path) {
  if (v.is_object()) {
    for (const auto& kv : v.as_object()) {
      path.emplace_back(kv.key());
      check_same(kv.value(), lines, path);
      path.pop_back();
    }
    return;
  }
  std::string where;
  for (const auto& p : path) where += "." + p;
  CAPTURE(where);
  const std::optional<std::string> text = yaml_scalar(lines, path);
  REQUIRE(text.has_value());
  CAPTURE(*text);
  if (v.is_int64()) {
    CHECK(*text == std::to_string(v.as_int64()));
  } else if (v.is_bool()) {
    CHECK(*text == (v.as_bool() ? "true" : "false"));
  } else if (v.is_null()) {
    CHECK(*text == "~");
  } else if (v.is_string()) {
    const std::string s(v.as_string());
    CHECK((*text == s || *text == "\"" + s + "\""));
  } else {
    REQUIRE(v.is_double());
    // A float to YAML 1.1 readers too: a '.' always. Boost.JSON 1.81 parses the json writer's text to within an
    // ulp or two, not exactly, hence the tolerance.
    CHECK(text->find('.') != std::string::npos);
    double y = 0;
    REQUIRE(std::from_chars(text->data(), text->data() + text->size(), y).ec == std::errc());
    CHECK(std::fabs(y - v.as_double()) <= 4 * std::numeric_limits<double>::epsilon() * std::fabs(v.as_double()));
  }
}

const char* const kSweep = R"({
  "schema_version": 1, "kind": "sweep",
  "tool": {"name": "modelmeter", "version": "0.1.0"},
  "workload": {"name": "std-v1"},
  "varied": ["vision.mode"],
  "columns": ["vision.mode", "hardware", "feasible", "reason", "prefill_tokens", "ttft_s", "tpot_s", "x"],
  "rows": [["\"gundam\"", "h100-sxm", true, "", 913, 0.0116, 1e-05, 3.0],
           ["\"tiny\"", "a100-40g", false, "does not fit: \"1\", 2\nnext", null, 2.5e20, 1e20, -0.5]],
  "interrupted": false
})";

}  // namespace

TEST_CASE("yaml: report.yaml holds report.json's plugin, summary and hardware figures") {
  const TempDir& dir = std_v1();
  REQUIRE(fs::exists(dir / "report.yaml"));
  const std::vector<std::string> lines = split_lines(read_file(dir / "report.yaml"));
  const auto j = boost::json::parse(read_file(dir / "report.json"));
  CHECK(lines.at(0) == "schema_version: 1");
  CHECK(lines.at(1) == "kind: report");
  CHECK(yaml_scalar(lines, {"summary", "parameters"}) == "3336106240");
  CHECK(yaml_scalar(lines, {"summary", "prefill_tokens"}) == "913");
  CHECK(yaml_scalar(lines, {"summary", "memory", "fits"}) == "true");
  // Strings that would read as numbers are quoted; the others are plain.
  CHECK(yaml_scalar(lines, {"plugin", "version"}) == "\"0.1.0\"");
  CHECK(yaml_scalar(lines, {"plugin", "abi_version_text"}) == "\"1.3\"");
  CHECK(yaml_scalar(lines, {"plugin", "name"}) == "deepseek_ocr");
  for (const char* key : {"tool", "plugin", "summary", "hardware", "precision"}) check_same(j.at(key), lines, {key});
  check_same(j.at("stages").at("prefill").at("totals"), lines, {"stages", "prefill", "totals"});
}

TEST_CASE("yaml: every report section in json order, module trees as sequences, layer pages as literal blocks") {
  const TempDir& dir = std_v1();
  const std::string yaml = "\n" + read_file(dir / "report.yaml");
  const auto j = boost::json::parse(read_file(dir / "report.json"));
  std::size_t at = 0;
  for (const auto& kv : j.as_object()) {
    const std::size_t found = yaml.find("\n" + std::string(kv.key()) + ":", at);
    CAPTURE(kv.key());
    CHECK(found != std::string::npos);
    at = found == std::string::npos ? at : found + 1;
  }
  CHECK(yaml.find("\n      children:\n        - id: model.sam_model\n") != std::string::npos);
  // A layer's Markdown page, verbatim in a `|` block indented under its class.
  const std::string doc(j.at("layers").at("PatchEmbed").at("doc").as_string());
  std::string block = "\n  PatchEmbed:\n    category: composite\n    doc: |\n";
  for (const std::string& line : split_lines(doc)) block += (line.empty() ? "" : "      " + line) + "\n";
  CHECK(yaml.find(block) != std::string::npos);
}

TEST_CASE("yaml: two runs write byte-identical report.yaml") {
  const TempDir dir("modelmeter-yaml-again");
  const ProcessResult r =
      mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "yaml", "--out", dir.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(dir / "report.yaml") == read_file(std_v1() / "report.yaml"));
}

TEST_CASE("yaml: a workload description with a colon, a hash, quotes and a backslash is quoted and escaped") {
  const TempDir dir("modelmeter-yaml-quote");
  std::string toml = read_file(std::string(MM_TEST_SOURCE_DIR) + "/configs/workloads/example.toml");
  const std::size_t line = toml.find("description = ");
  REQUIRE(line != std::string::npos);
  toml.replace(line, toml.find('\n', line) - line, R"(description = 'Costs: 5 # not a comment, "quoted" \ too')");
  write_file(dir / "w.toml", toml);
  const ProcessResult r = mm({"run", "--plugin", "example_transformer", "--workload", dir / "w.toml", "--format",
                              "yaml", "--out", dir / "out"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> lines = split_lines(read_file(dir / "out/report.yaml"));
  CHECK(yaml_scalar(lines, {"workload", "description"}) == R"("Costs: 5 # not a comment, \"quoted\" \\ too")");
}

TEST_CASE("yaml: a sweep document becomes sweep.yaml, one flow sequence per row") {
  const Written w = write_with(writer_file(kHost, "yaml"), boost::json::parse(kSweep));
  CAPTURE(w.message);
  REQUIRE(w.status == MM_OK);
  REQUIRE(w.files.size() == 1);
  REQUIRE(w.files.count("sweep.yaml") == 1);
  CHECK(w.files.at("sweep.yaml") == R"(schema_version: 1
kind: sweep
tool:
  name: modelmeter
  version: "0.1.0"
workload:
  name: std-v1
varied:
  - vision.mode
columns:
  - vision.mode
  - hardware
  - feasible
  - reason
  - prefill_tokens
  - ttft_s
  - tpot_s
  - x
rows:
  - ["\"gundam\"", h100-sxm, true, "", 913, 0.0116, 1.0e-05, 3]
  - ["\"tiny\"", a100-40g, false, "does not fit: \"1\", 2\nnext", ~, 2.5e+20, 1.0e+20, -0.5]
interrupted: false
)");
}

TEST_CASE("yaml: a docs document is refused") {
  const Written w = write_with(writer_file(kHost, "yaml"), boost::json::parse(R"({"schema_version": 1, "kind": "docs",
                                                                         "layers": {}})"));
  CHECK(w.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(w.message.find("the yaml writer writes reports and sweeps, not layer pages") != std::string::npos);
  CHECK(w.files.empty());
}

TEST_CASE("yaml: sweep --format yaml writes sweep.yaml, docs --format yaml fails with the writer's reason") {
  const TempDir dir("modelmeter-yaml-sweep");
  ProcessResult r =
      mm({"sweep", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--vary", "vision.mode=\"gundam\",\"base\"",
          "--vary", "decode.max_new_tokens=100,8000", "--format", "yaml", "--out", dir / "sweep"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::vector<std::string> lines = split_lines(read_file(dir / "sweep/sweep.yaml"));
  CHECK(yaml_scalar(lines, {"kind"}) == "sweep");
  CHECK(yaml_scalar(lines, {"interrupted"}) == "false");
  std::vector<std::string> rows;
  for (const std::string& line : lines)
    if (line.rfind("  - [", 0) == 0) rows.push_back(line);
  REQUIRE(rows.size() == 4);
  // The varied values are TOML literals, strings in the document: quoted so "100" stays a string.
  CHECK(rows[0].rfind(R"(  - ["\"gundam\"", "100", h100-sxm, true, "", 903, 913, 99, )", 0) == 0);
  CHECK(rows[1].rfind(R"(  - ["\"gundam\"", "8000", h100-sxm, false, "workload 'std-v1': context )", 0) == 0);
  CHECK(rows[1].find(", ~, ~]") != std::string::npos);  // no figures for an infeasible point

  r = mm({"docs", "--plugin", "deepseek_ocr", "--format", "yaml", "--out", dir / "docs"});
  CHECK(r.exit_code == 5);
  CHECK(r.err.find("the yaml writer writes reports and sweeps, not layer pages") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "docs"));
}
