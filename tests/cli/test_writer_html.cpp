// The `html` writer through the real binary: report.html is one self-contained, deterministic page with a
// roofline plot per stage (a point per leaf op) and the summary figures; Chromium renders it when installed.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;
const std::string kChromium = "/usr/bin/chromium";

ProcessResult mm(std::vector<std::string> args) {
  args.insert(args.begin(), kHost);
  return run_process(args);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

double num(const boost::json::value& v) {
  return v.is_int64() ? static_cast<double>(v.as_int64()) : v.as_double();
}

// Leaf ops of a module tree that a log-log roofline can show: I/O, time and FLOPs all above zero.
std::size_t plottable_leaves(const boost::json::object& m) {
  const auto& kids = m.at("children").as_array();
  if (!kids.empty()) {
    std::size_t n = 0;
    for (const auto& k : kids) n += plottable_leaves(k.as_object());
    return n;
  }
  const auto& f = m.at("forward").as_object();
  const double flops = num(f.at("tc_flops")) + num(f.at("cuda_flops"));
  return num(f.at("io_bytes")) > 0 && num(m.at("time_s")) > 0 && flops > 0 ? 1 : 0;
}

// The text of the element <svg ... id="<id>"> ... </svg>.
std::string svg_by_id(const std::string& html, const std::string& id) {
  const std::size_t at = html.find("id=\"" + id + "\"");
  if (at == std::string::npos) return {};
  const std::size_t begin = html.rfind("<svg", at);
  const std::size_t end = html.find("</svg>", at);
  if (begin == std::string::npos || end == std::string::npos) return {};
  return html.substr(begin, end + 6 - begin);
}

// A duration between 1 ms and 1 s as the report prints it: three significant digits in milliseconds.
std::string as_ms(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  return buf;
}

// Runs std-v1 writing json and html into `dir`.
void run_std(const std::string& dir) {
  const ProcessResult r =
      mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "json,html", "--out", dir});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("wrote " + dir + "/report.html") != std::string::npos);
}

}  // namespace

TEST_CASE("html: report.html is one self-contained page with a roofline per stage and a point per leaf op") {
  const TempDir td;
  run_std(td.path());
  REQUIRE(fs::exists(td / "report.html"));
  const std::string html = read_file(td / "report.html");
  const auto j = boost::json::parse(read_file(td / "report.json"));

  // well-formed enough, and nothing fetched or run
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(count(html, "<html") == 1);
  CHECK(count(html, "</html>") == 1);
  CHECK(count(html, "<body") == 1);
  CHECK(count(html, "<svg") > 0);
  CHECK(count(html, "<svg") == count(html, "</svg>"));
  CHECK(count(html, "<script") == 0);
  CHECK(count(html, "<link") == 0);
  CHECK(count(html, "<img") == 0);
  CHECK(count(html, "url(") == 0);
  CHECK(count(html, "https://") == 0);
  CHECK(count(html, "http://") == count(html, "xmlns=\"http://www.w3.org/2000/svg\""));

  // one roofline per stage that ran (std-v1: vision, prefill, decode)
  const auto& stages = j.at("stages").as_object();
  REQUIRE(stages.size() == 3);
  CHECK(count(html, "class=\"roofline\"") == 3);
  for (const auto& kv : stages) {
    const std::string stage(kv.key());  // not a structured binding: clang 14 cannot capture one (CAPTURE)
    CAPTURE(stage);
    const std::string svg = svg_by_id(html, "roofline-" + stage);
    REQUIRE_FALSE(svg.empty());
    const std::size_t leaves = plottable_leaves(kv.value().at("modules").as_object());
    CHECK(leaves > 0);
    CHECK(count(svg, "<circle") == leaves);
    CHECK(count(svg, "<title>") >= leaves);  // every point has a tooltip
  }
  const std::size_t prefill_leaves = plottable_leaves(stages.at("prefill").at("modules").as_object());
  CHECK(prefill_leaves > 30);
  CHECK(count(svg_by_id(html, "roofline-prefill"), "<circle") == prefill_leaves);

  // the headline figures as formatted
  const double ttft = num(j.at("summary").at("ttft_s"));
  REQUIRE(ttft >= 1e-3);
  REQUIRE(ttft < 1);
  CAPTURE(as_ms(ttft));
  CHECK(html.find(">" + as_ms(ttft) + "<") != std::string::npos);
  CHECK(html.find("time to first token") != std::string::npos);
  CHECK(html.find("deepseek-ocr") != std::string::npos);
  CHECK(html.find("NVIDIA H100 SXM5 80GB") != std::string::npos);
  CHECK(html.find("id=\"time-by-component\"") != std::string::npos);
  CHECK(html.find("id=\"memory\"") != std::string::npos);
  CHECK(html.find("decoder MLP/MoE") != std::string::npos);
}

TEST_CASE("html: two runs write byte-identical pages") {
  const TempDir a, b;
  run_std(a.path());
  run_std(b.path());
  const std::string first = read_file(a / "report.html");
  CHECK(first.size() > 10000);
  CHECK(first == read_file(b / "report.html"));
}

TEST_CASE("html: a run without a vision stage has one roofline per stage it ran") {
  const TempDir td;
  const ProcessResult r = mm(
      {"run", "--plugin", "example_transformer", "--workload", "example", "--format", "json,html", "--out", td.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string html = read_file(td / "report.html");
  const auto j = boost::json::parse(read_file(td / "report.json"));
  const auto& stages = j.at("stages").as_object();
  CHECK_FALSE(stages.contains("vision"));
  CHECK(count(html, "class=\"roofline\"") == stages.size());
  CHECK(svg_by_id(html, "roofline-vision").empty());
  CHECK(count(html, "<svg") == count(html, "</svg>"));
}

TEST_CASE("html: Chromium renders report.html") {
  if (!fs::exists(kChromium)) {
    MESSAGE("SKIPPED: chromium not installed");
    return;
  }
  const TempDir td;
  run_std(td.path());
  const std::string shot = td / "shot.png";
  const ProcessResult r =
      run_process({"timeout", "60", kChromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update", "--disable-sync",
                   "--user-data-dir=" + (td / "profile"), "--screenshot=" + shot, "--window-size=1280,2000",
                   "file://" + (td / "report.html")});
  CAPTURE(r.exit_code);
  CAPTURE(r.err);
  REQUIRE(fs::exists(shot));
  CHECK(fs::file_size(shot) > 10 * 1024);
  CHECK(read_file(shot).rfind("\x89PNG", 0) == 0);
}
