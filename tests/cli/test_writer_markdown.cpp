// The `markdown` writer (--format md) through the real executable: report.md's figures against report.json, one
// formula page per layer class, and byte-identical output run after run.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

// Runs DeepSeek-OCR std-v1 with the json and md writers into `out`.
void run_std_v1(const std::string& out) {
  const ProcessResult r = run_process(
      {kHost, "run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "json,md", "--out", out});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
}

// One std-v1 run shared by the test cases (the run takes a while).
const TempDir& std_v1() {
  static const TempDir dir("modelmeter-md");
  static const bool ran = (run_std_v1(dir.path()), true);
  (void)ran;
  return dir;
}

// The writer's time format, re-derived: 3 significant digits with an SI prefix ("11.6 ms", "365 µs").
std::string format_seconds(double v) {
  static const char* prefixes[] = {"n", "µ", "m", ""};
  int p = 3;
  while (v < 1 && p > 0) {
    v *= 1000;
    --p;
  }
  auto sig3 = [](double x) {
    const int decimals = std::max(0, 2 - static_cast<int>(std::floor(std::log10(x))));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, x);
    if (decimals > 0 && std::strtod(buf, nullptr) >= std::pow(10.0, 3 - decimals)) {
      std::snprintf(buf, sizeof buf, "%.*f", decimals - 1, x);
    }
    return std::string(buf);
  };
  return sig3(v) + " " + prefixes[p] + "s";
}

// The text from `heading` up to the next heading of the same level (or the end).
std::string section(const std::string& md, const std::string& heading) {
  const std::size_t start = md.find("\n" + heading + "\n");
  REQUIRE(start != std::string::npos);
  const std::string level = heading.substr(0, heading.find(' ') + 1);
  const std::size_t end = md.find("\n" + level, start + 1);
  return md.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("md writer: report.md gives TTFT, parameters, prefill components and the memory verdict") {
  const TempDir& dir = std_v1();
  REQUIRE(fs::exists(dir / "report.md"));
  const std::string md = read_file(dir / "report.md");
  const auto j = boost::json::parse(read_file(dir / "report.json"));
  const auto& summary = j.at("summary");

  const std::string ttft = format_seconds(summary.at("ttft_s").as_double());
  CAPTURE(ttft);
  // The run is calibrated (h100-sxm's bundled calibration); its roofline TTFT is the lower bound below it.
  CHECK(summary.at("time_model").as_string() == "calibrated:h100-sxm");
  const auto& st = summary.at("stages");
  const double roofline_ttft =
      st.at("vision").at("roofline_time_s").as_double() + st.at("prefill").at("roofline_time_s").as_double();
  CHECK(format_seconds(roofline_ttft) == "11.6 ms");
  CHECK(summary.at("ttft_s").as_double() > roofline_ttft);
  CHECK(contains(md, "| TTFT (vision + prefill) | " + ttft + " |"));

  CHECK(summary.at("parameters").as_int64() == 3336106240);
  CHECK(contains(md, "| parameters | 3,336,106,240 "));

  const std::string prefill = section(md, "## Stage prefill");
  const auto& components = j.at("stages").at("prefill").at("components").as_object();
  CHECK(components.size() >= 6);
  for (const auto& c : components) {
    CAPTURE(c.key());
    CHECK(contains(prefill, "\n| " + std::string(c.key()) + " | "));
  }
  for (const char* name : {"embedding", "decoder attention", "decoder MLP/MoE", "LM head"}) {
    CHECK(contains(prefill, "\n| " + std::string(name) + " | "));
  }

  REQUIRE(summary.at("memory").at("fits").as_bool());
  const std::string memory = section(md, "## Memory");
  CHECK(contains(memory, "\n| fits | yes |"));
  CHECK_FALSE(contains(memory, "NO"));

  // Every class a row of the top-ops tables names links to its page.
  CHECK(contains(md, "[Linear](layers/Linear.md)"));
}

TEST_CASE("md writer: one page per layer class, with the class's doc verbatim and its shapes") {
  const TempDir& dir = std_v1();
  const auto j = boost::json::parse(read_file(dir / "report.json"));
  const auto& layers = j.at("layers").as_object();
  REQUIRE(layers.size() > 0);

  std::vector<std::string> pages;
  for (const auto& e : fs::directory_iterator(dir / "layers")) pages.push_back(e.path().filename().string());
  std::sort(pages.begin(), pages.end());
  std::vector<std::string> expected;
  for (const auto& l : layers) expected.push_back(std::string(l.key()) + ".md");
  std::sort(expected.begin(), expected.end());
  CHECK(pages == expected);
  CHECK(fs::exists(dir / "layers/ScaledDotProductAttention.md"));

  const std::string page = read_file(dir / "layers/DeepseekV2MoE.md");
  const auto& moe = layers.at("DeepseekV2MoE");
  const std::string doc(moe.at("doc").as_string());
  REQUIRE(!doc.empty());
  CHECK(page.rfind(doc, 0) == 0);  // the page opens with the doc, verbatim
  const std::string shapes = section(page, "## Shapes in this run");
  const auto& instances = moe.at("instances").as_array();
  REQUIRE(instances.size() == 2);  // prefill and decode, the MoE layers 1..11
  for (const auto& inst : instances) {
    const std::string stage(inst.at("stage").as_string()), id(inst.at("id").as_string());
    const std::string shape(inst.at("shapes").as_string());
    CAPTURE(shape);
    CHECK(contains(shapes, "| " + stage + " | `" + id + "` | " + shape + " |"));
  }
  CHECK(contains(shapes, "tokens=913 hidden=1280 experts=64 top_k=6"));
  CHECK(contains(page, "Counting conventions: see the metric conventions page (docs/metrics.md"));
}

TEST_CASE("md writer: two runs give byte-identical report.md and class pages") {
  const TempDir& first = std_v1();
  const TempDir second("modelmeter-md");
  run_std_v1(second.path());
  CHECK(read_file(first / "report.md") == read_file(second / "report.md"));
  CHECK(read_file(first / "layers/DeepseekV2MoE.md") == read_file(second / "layers/DeepseekV2MoE.md"));
  CHECK(read_file(first / "layers/Linear.md") == read_file(second / "layers/Linear.md"));
}
