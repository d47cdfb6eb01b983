// `modelmeter simulate` and `modelmeter plan` as a user runs them (docs/serving.md): report.json's `serving`
// object, the roofline label, determinism, one-line errors for bad serving keys, and plan's ranked table.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

ProcessResult mm(std::vector<std::string> args) {
  args.insert(args.begin(), kHost);
  return run_process(args, {}, {});
}

double num(const boost::json::value& v) {
  return v.is_int64() ? static_cast<double>(v.as_int64()) : v.as_double();
}

const std::vector<std::string> kOcr = {"simulate",   "--plugin",    "deepseek_ocr",
                                       "--workload", "serve-ocr",   "--hardware",
                                       "a100-40g",   "--set",       "serving.num_requests=400",
                                       "--format",   "json,md,html"};

}  // namespace

TEST_CASE("simulate --format json writes report.json with a serving object (calibrated on a100-40g)") {
  const TempDir td;
  auto args = kOcr;
  args.insert(args.end(), {"--out", td.path()});
  const ProcessResult r = mm(args);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("output tokens/s") != std::string::npos);
  CHECK(r.out.find("pages/day") != std::string::npos);
  const auto j = boost::json::parse(read_file((fs::path(td.path()) / "report.json").string()));
  const auto& s = j.at("serving").as_object();
  CHECK(s.at("time_model").as_string() == "calibrated:a100-40g");
  CHECK(s.at("scheduler").at("max_num_seqs").as_int64() == 100);
  CHECK(s.at("scheduler").at("block_size").as_int64() == 256);
  CHECK(s.at("scheduler").at("chunked_prefill").as_bool() == false);
  CHECK(s.at("arrival").at("concurrency").as_int64() == 100);
  CHECK(s.at("arrival").at("requests").as_int64() == 400);
  CHECK(s.at("window").at("measured_requests").as_int64() == 320);
  const double rps = num(s.at("throughput").at("requests_per_s"));
  const double tps = num(s.at("throughput").at("output_tokens_per_s"));
  CHECK(rps > 0);
  CHECK(tps == doctest::Approx(rps * 512).epsilon(1e-9));  // every page yields 512 tokens
  CHECK(num(s.at("throughput").at("pages_per_day")) == doctest::Approx(rps * 86400).epsilon(1e-9));
  for (const char* k : {"ttft_s", "tpot_s", "itl_s", "e2e_s"}) {
    CAPTURE(k);
    const auto& p = s.at(k).as_object();
    CHECK(num(p.at("p50")) <= num(p.at("p90")));
    CHECK(num(p.at("p90")) <= num(p.at("p99")));
    CHECK(num(p.at("mean")) > 0);
  }
  CHECK(s.at("max_batch").as_int64() <= 100);
  CHECK(num(s.at("kv_cache").at("blocks")) > 0);
  CHECK(j.at("summary").at("time_model").as_string() == "calibrated:a100-40g");
  // The CDF quantiles every 5%: the 50% one is p50, the 90% one p90, and they never decrease.
  const auto& cdf = s.at("latency_cdf").as_object();
  for (const char* k : {"ttft_s", "e2e_s"}) {
    CAPTURE(k);
    const auto& q = cdf.at(k).as_array();
    REQUIRE(q.size() == 21);
    CHECK(num(q[10]) == doctest::Approx(num(s.at(k).at("p50"))).epsilon(1e-12));
    CHECK(num(q[18]) == doctest::Approx(num(s.at(k).at("p90"))).epsilon(1e-12));
    for (std::size_t i = 1; i < q.size(); ++i) CHECK(num(q[i - 1]) <= num(q[i]));
  }
  const std::string md = read_file((fs::path(td.path()) / "report.md").string());
  CHECK(md.find("## Serving simulation") != std::string::npos);
  const std::string html = read_file((fs::path(td.path()) / "report.html").string());
  CHECK(html.find("id=\"serving-timeline\"") != std::string::npos);
  CHECK(html.find("id=\"serving-cdf\"") != std::string::npos);
}

TEST_CASE("simulate without a calibration says its figures are a roofline bound, and is deterministic") {
  std::string first;
  for (int i = 0; i < 2; ++i) {
    const TempDir td;
    const ProcessResult r = mm({"simulate", "--plugin", "deepseek_ocr", "--workload", "serve-ocr", "--hardware", "h200",
                                "--set", "serving.num_requests=300", "--set", "serving.arrival=\"poisson\"", "--set",
                                "serving.rate=5", "--format", "json", "--out", td.path()});
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out.find("roofline bound") != std::string::npos);
    const std::string text = read_file((fs::path(td.path()) / "report.json").string());
    const auto j = boost::json::parse(text);
    CHECK(j.at("serving").at("time_model").as_string() == "roofline");
    CHECK(std::string(j.at("serving").at("time_model_note").as_string()).find("roofline bound") != std::string::npos);
    if (i == 0) {
      first = text;
    } else {
      CHECK(text == first);
    }
  }
}

TEST_CASE("bad serving keys are one-line errors with exit code 3") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"serving.max_num_seqs=0", "expected an integer from 1"},
      {"serving.arrival=\"burst\"", "one of closed, poisson, trace"},
      {"serving.block_size=-16", "serving.block_size"},
      {"serving.gpu_memory_utilization=0", "serving.gpu_memory_utilization"},
      {"serving.max_num_seqs=20000", "serving.max_num_batched_tokens"},
  };
  for (const auto& c : cases) {
    const TempDir td;
    const ProcessResult r =
        mm({"simulate", "--plugin", "deepseek_ocr", "--workload", "serve-ocr", "--set", c.first, "--out", td.path()});
    CAPTURE(c.first);
    CAPTURE(r.err);
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(c.second) != std::string::npos);
    CHECK(r.err.find('\n') == r.err.size() - 1);
  }
}

TEST_CASE("plan ranks every candidate: SLA first, then output tokens/s per GPU, Pareto front marked") {
  const TempDir td;
  const ProcessResult r = mm({"plan",
                              "--plugin",
                              "deepseek_ocr",
                              "--workload",
                              "serve-ocr",
                              "--hardware",
                              "a100-40g,h100-sxm",
                              "--gpus",
                              "1,2",
                              "--max-num-seqs",
                              "16,64",
                              "--max-num-batched-tokens",
                              "2048,8192",
                              "--requests",
                              "200",
                              "--ttft-p99",
                              "5",
                              "--format",
                              "csv,json,md,html",
                              "--out",
                              td.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  // 2 hardware × (1 GPU at tp=1, 2 GPUs at tp=1 (2 replicas), 2 GPUs at tp=2) × 2 × 2 batch limits.
  CHECK(r.out.find("24 candidates") != std::string::npos);
  const auto j = boost::json::parse(read_file((fs::path(td.path()) / "plan.json").string()));
  CHECK(j.at("kind").as_string() == "plan");
  const auto& cols = j.at("columns").as_array();
  auto col = [&](const char* name) {
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i].as_string() == name) return i;
    FAIL("no column " << name);
    return std::size_t{0};
  };
  const auto& rows = j.at("rows").as_array();
  REQUIRE(rows.size() == 24);
  const std::size_t meets = col("meets_sla"), tps = col("output_tokens_per_s_per_gpu"), ttft = col("ttft_p99_s"),
                    gpus = col("gpus"), replicas = col("replicas"), pareto = col("pareto"), layout = col("layout");
  bool seen_miss = false;
  int pareto_count = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i].as_array();
    CAPTURE(i);
    // deepseek_ocr shards its decoder over TP GPUs: replicas = GPUs / tp.
    const int64_t tp = row[layout].as_string() == "tp=2" ? 2 : 1;
    CHECK(row[replicas].as_int64() * tp == row[gpus].as_int64());
    const bool ok = row[meets].as_bool();
    CHECK((ok ? num(row[ttft]) <= 5.0 : num(row[ttft]) > 5.0));
    if (!ok) seen_miss = true;
    if (ok) CHECK_FALSE(seen_miss);  // every candidate meeting the SLA comes first
    if (i > 0 && rows[i - 1].as_array()[meets].as_bool() == ok)
      CHECK(num(rows[i - 1].as_array()[tps]) >= num(row[tps]));
    pareto_count += row[pareto].as_bool() ? 1 : 0;
  }
  CHECK(pareto_count >= 1);
  CHECK(fs::exists(fs::path(td.path()) / "plan.csv"));
  CHECK(read_file((fs::path(td.path()) / "plan.md").string()).find("## Pareto front") != std::string::npos);
  CHECK(read_file((fs::path(td.path()) / "plan.html").string()).find("id=\"plan-chart\"") != std::string::npos);
}

TEST_CASE("plan --rank-by cost: US dollars per million output tokens = price / (tokens/s per GPU x 3600) x 1e6") {
  const TempDir td;
  const ProcessResult r = mm({"plan",
                              "--plugin",
                              "deepseek_ocr",
                              "--workload",
                              "serve-ocr",
                              "--hardware",
                              "a100-40g,h100-sxm,l40s",
                              "--gpus",
                              "1",
                              "--max-num-seqs",
                              "16,64",
                              "--max-num-batched-tokens",
                              "8192",
                              "--requests",
                              "100",
                              "--price",
                              "h100-sxm=2",
                              "--rank-by",
                              "cost",
                              "--format",
                              "json",
                              "--out",
                              td.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = boost::json::parse(read_file((fs::path(td.path()) / "plan.json").string()));
  CHECK(j.at("price").as_string() ==
        "US dollars per GPU-hour: a100-40g $1.844, h100-sxm $2; no price for l40s (cost null)");
  const auto& cols = j.at("columns").as_array();
  auto col = [&](const char* name) {
    for (std::size_t i = 0; i < cols.size(); ++i)
      if (cols[i].as_string() == name) return i;
    FAIL("no column " << name);
    return std::size_t{0};
  };
  const std::size_t hw = col("hardware"), tps = col("output_tokens_per_s_per_gpu"), rps = col("requests_per_s_per_gpu"),
                    mtok = col("usd_per_million_output_tokens"), kreq = col("usd_per_thousand_requests");
  const auto& rows = j.at("rows").as_array();
  REQUIRE(rows.size() == 6);
  double last = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i].as_array();
    CAPTURE(i);
    const std::string h(row[hw].as_string());
    if (h == "l40s") {  // no price: null, and ranked after every priced candidate
      CHECK(row[mtok].is_null());
      CHECK(row[kreq].is_null());
      CHECK(i >= 4);
      continue;
    }
    const double price = h == "h100-sxm" ? 2.0 : 1.844;  // --price overrides the profile's 4.916
    CHECK(num(row[mtok]) == doctest::Approx(price / (num(row[tps]) * 3600) * 1e6).epsilon(1e-12));
    CHECK(num(row[kreq]) == doctest::Approx(price / (num(row[rps]) * 3600) * 1e3).epsilon(1e-12));
    CHECK(num(row[mtok]) >= last);  // cheapest first
    last = num(row[mtok]);
  }
}

TEST_CASE("plan: bad --price and --rank-by values are usage errors naming the value") {
  const TempDir td;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"--price=h100-sxm", "--price 'h100-sxm': expected HARDWARE=USD"},
      {"--price=h100-sxm=-3", "--price 'h100-sxm=-3': expected HARDWARE=USD"},
      {"--price=h100-sxm=1e9", "--price 'h100-sxm=1e9': expected HARDWARE=USD with USD a number in (0, 10000]"},
      {"--price=b200=3", "--price 'b200': not one of the --hardware names"},
      {"--rank-by=money", "--rank-by 'money': allowed values are throughput, cost"}};
  for (const auto& c : cases) {
    CAPTURE(c.first);
    const ProcessResult r = mm({"plan", "--plugin", "deepseek_ocr", "--workload", "serve-ocr", "--hardware", "h100-sxm",
                                c.first, "--out", td.path()});
    CHECK(r.exit_code == 2);
    CHECK(r.err.find(c.second) != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("plan: a bad GPU count is a usage error") {
  const TempDir td;
  const ProcessResult r =
      mm({"plan", "--plugin", "deepseek_ocr", "--workload", "serve-ocr", "--gpus", "1,x", "--out", td.path()});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--gpus 'x'") != std::string::npos);
}

TEST_CASE("simulate --vary sweeps serving keys: one row per combination, a bad value is a row with its reason") {
  const TempDir td;
  const ProcessResult r = mm({"simulate", "--plugin", "deepseek_ocr", "--workload", "serve-ocr", "--hardware",
                              "a100-40g", "--set", "serving.num_requests=200", "--vary", "serving.concurrency=10,100",
                              "--vary", "serving.max_num_seqs=0,50", "--format", "csv", "--out", td.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("4 combinations (2 simulated)") != std::string::npos);
  const std::string csv = read_file((fs::path(td.path()) / "sweep.csv").string());
  CHECK(csv.rfind("serving.concurrency,serving.max_num_seqs,hardware,feasible,reason,", 0) == 0);
  CHECK(csv.find("\n10,0,a100-40g,false,") != std::string::npos);
  CHECK(csv.find("expected an integer from 1") != std::string::npos);
  CHECK(csv.find("\n10,50,a100-40g,true,") != std::string::npos);
  CHECK(csv.find("\n100,50,a100-40g,true,") != std::string::npos);
}
