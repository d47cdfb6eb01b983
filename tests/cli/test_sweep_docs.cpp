// `modelmeter sweep` (the prototype's what-if story) and `modelmeter docs`, through the real binary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

extern char** environ;

using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

ProcessResult sweep(const TempDir& out, std::vector<std::string> extra) {
  std::vector<std::string> args = {kHost,        "sweep",  "--plugin", "deepseek_ocr",
                                   "--workload", "std-v1", "--out",    out.path()};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_process(args);
}

// Rows of a CSV file whose fields hold no line breaks (true of sweep.csv): the header first.
std::vector<std::string> csv_lines(const std::string& path) {
  return split_lines(read_file(path));
}

}  // namespace

TEST_CASE("sweep: the product of ranges, lists and hardware, one row per point") {
  const TempDir out;
  const ProcessResult r = sweep(out, {"--vary", "decode.max_new_tokens=256:1024:256", "--vary", "batch.size=1,2",
                                      "--hardware", "h100-sxm,a100-40g"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("16 points (16 feasible)") != std::string::npos);  // 4 lengths (256..1024 inclusive) × 2 × 2
  const auto lines = csv_lines(out / "sweep.csv");
  REQUIRE(lines.size() == 17);
  CHECK(lines[0].rfind("decode.max_new_tokens,batch.size,hardware,feasible,reason,", 0) == 0);
  // The last --vary varies fastest, the hardware slowest.
  CHECK(lines[1].rfind("256,1,h100-sxm,true,", 0) == 0);
  CHECK(lines[2].rfind("256,2,h100-sxm,true,", 0) == 0);
  CHECK(lines[3].rfind("512,1,h100-sxm,true,", 0) == 0);
  CHECK(lines[16].rfind("1024,2,a100-40g,true,", 0) == 0);
}

TEST_CASE("sweep: infeasible points are rows with the reason, not an abort") {
  const TempDir out;
  const ProcessResult r =
      sweep(out, {"--vary", "decode.max_new_tokens=100,8000", "--vary", "batch.size=1,2048", "--hardware", "a100-40g"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("4 points (1 feasible)") != std::string::npos);
  const std::string csv = read_file(out / "sweep.csv");
  CHECK(csv.find("exceeds the model's maximum of 8192 positions") != std::string::npos);
  CHECK(csv.find("does not fit:") != std::string::npos);  // 2048 sequences of KV cache on a 40 GiB card
}

TEST_CASE("sweep: TOML list values with commas inside brackets, and bad specs") {
  const TempDir out;
  const ProcessResult grids = sweep(out, {"--vary", "vision.grid=[2,2],[2,3]"});
  CAPTURE(grids.err);
  REQUIRE(grids.exit_code == 0);
  CHECK(csv_lines(out / "sweep.csv").size() == 3);
  const TempDir bad;
  const ProcessResult backwards = sweep(bad, {"--vary", "decode.max_new_tokens=10:1:1"});
  CHECK(backwards.exit_code == 3);
  CHECK(backwards.err.find("the step 1 does not lead from 10 to 1") != std::string::npos);
  const ProcessResult unknown = sweep(bad, {"--vary", "decode.max_new_token=1,2"});
  CHECK(unknown.exit_code == 3);
  CHECK(unknown.err.find("did you mean 'decode.max_new_tokens'?") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(bad / "sweep.csv"));
}

TEST_CASE("sweep: Ctrl-C writes the rows done and exits 130") {
  const TempDir out;
  // 4,000,000 points take half a minute even at ~150k points/s: SIGINT after 1 s ends the sweep early.
  const ProcessResult r = run_process({"timeout", "--preserve-status", "-s", "INT", "1", kHost, "sweep", "--plugin",
                                       "deepseek_ocr", "--workload", "std-v1", "--out", out.path(), "--vary",
                                       "decode.max_new_tokens=1:20000:1", "--vary", "batch.size=1:200:1"});
  CAPTURE(r.err);
  CHECK(r.exit_code == 130);
  CHECK(r.out.find("interrupted") != std::string::npos);
  const auto lines = csv_lines(out / "sweep.csv");
  CHECK(lines.size() > 2);
  CHECK(lines.size() < 4000002);
  CHECK(lines.back() == "# partial: the sweep was interrupted; the rows above are the points done");
}

TEST_CASE("sweep: SIGTERM is handled like Ctrl-C: the rows done, a partial marker, no temporaries, exit 143") {
  // sweep.csv streamed (4,000,000 points, csv only), then streamed beside a whole-document writer (json: at most
  // 20,000 points, each a new batch size, so a few seconds on one thread).
  const std::vector<std::vector<std::string>> cases = {
      {"--format", "csv", "--vary", "decode.max_new_tokens=1:20000:1", "--vary", "batch.size=1:200:1"},
      {"--format", "csv,json", "--threads", "1", "--vary", "batch.size=1:20000:1"}};
  for (const auto& extra : cases) {
    const TempDir out;
    // TERM after 2 s: under ASan on a loaded 2-core machine the first rows can take over a second.
    std::vector<std::string> args = {"timeout", "--preserve-status", "-s",           "TERM",       "2",      kHost,
                                     "sweep",   "--plugin",          "deepseek_ocr", "--workload", "std-v1", "--out",
                                     out.path()};
    args.insert(args.end(), extra.begin(), extra.end());
    const ProcessResult r = run_process(args);
    CAPTURE(r.err);
    CAPTURE(extra[1]);
    CHECK(r.exit_code == 143);
    CHECK(r.out.find("interrupted") != std::string::npos);
    const auto lines = csv_lines(out / "sweep.csv");
    REQUIRE(lines.size() > 2);
    CHECK(lines.back().rfind("# partial:", 0) == 0);
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(out.path())) {
      names.push_back(e.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    if (extra[1] == "csv") {
      CHECK(names == std::vector<std::string>{"sweep.csv"});  // no temporary left beside it
      continue;
    }
    CHECK(names == std::vector<std::string>{"report.json", "sweep.csv"});
    const auto doc = boost::json::parse(read_file(out / "report.json"));
    CHECK(doc.at("interrupted").as_bool());
    CHECK(doc.at("rows").as_array().size() == lines.size() - 2);  // the same rows: header and marker aside
  }
}

TEST_CASE("a complete sweep.csv has no partial marker") {
  const TempDir out;
  const ProcessResult r = sweep(out, {"--format", "csv", "--vary", "batch.size=1:3:1"});
  REQUIRE(r.exit_code == 0);
  const auto lines = csv_lines(out / "sweep.csv");
  CHECK(lines.size() == 4);
  CHECK(lines.back().find("partial") == std::string::npos);
}

TEST_CASE("docs writes one Markdown page per registered layer class") {
  const TempDir out;
  const ProcessResult r = run_process({kHost, "docs", "--plugin", "deepseek_ocr", "--out", out.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  int pages = 0;
  for (const auto& e : std::filesystem::directory_iterator(out / "layers")) pages += e.path().extension() == ".md";
  CHECK(pages == 22 + 16);  // the plugin's classes and core's 16 generic ops (5 collectives since ABI 1.3)
  CHECK(read_file(out / "layers/DeepseekV2MoE.md").find("g = E · (1 − (1 − k/E)^T)") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(out / "report.md"));
}

TEST_CASE("sweep --shard K/N: the shards' sweep.csv files concatenate, header once, to the whole sweep's") {
  const std::vector<std::string> vary = {"--vary",     "decode.max_new_tokens=100:700:100",
                                         "--vary",     "batch.size=1,4",
                                         "--hardware", "h100-sxm,l40s"};  // 7 × 2 × 2 = 28 points
  const TempDir whole;
  REQUIRE(sweep(whole, vary).exit_code == 0);
  const std::string expected = read_file(whole / "sweep.csv");
  std::string joined;
  std::size_t rows = 0;
  for (int k = 0; k < 3; ++k) {  // 28 = 10 + 9 + 9
    const TempDir part;
    auto args = vary;
    args.insert(args.end(), {"--shard", std::to_string(k) + "/3"});
    const ProcessResult r = sweep(part, args);
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    const auto lines = csv_lines(part / "sweep.csv");
    rows += lines.size() - 1;
    CHECK(lines.size() - 1 == (k == 0 ? 10u : 9u));
    for (std::size_t i = k == 0 ? 0 : 1; i < lines.size(); ++i) joined += lines[i] + "\n";
  }
  CHECK(rows == 28);
  CHECK(joined == expected);
  const TempDir bad;
  const ProcessResult r = sweep(bad, {"--vary", "batch.size=1,2", "--shard", "3/3"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("expected K/N with 0 <= K < N") != std::string::npos);
}

// The sweep reuses one prepared run (plan, stage trees) across hardware and decode lengths and evaluates totals
// only, on two threads: every figure of every row must still be exactly what a separate `run` reports.
TEST_CASE("a sweep's rows equal separate runs exactly, across decode lengths, batch, vision mode and hardware") {
  const TempDir out;
  const ProcessResult s = sweep(out, {"--vary", "decode.max_new_tokens=1,256,900", "--vary", "batch.size=1,8", "--vary",
                                      "vision.mode=tiny,gundam", "--hardware", "h100-sxm,a100-40g", "--threads", "2"});
  CAPTURE(s.err);
  REQUIRE(s.exit_code == 0);
  const auto lines = csv_lines(out / "sweep.csv");
  REQUIRE(lines.size() == 25);
  const auto split = [](const std::string& line) {
    std::vector<std::string> f;
    std::string cur;
    for (char c : line) {
      if (c == ',') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    f.push_back(cur);
    return f;
  };
  const auto header = split(lines[0]);
  const auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE(it != header.end());
    return static_cast<std::size_t>(it - header.begin());
  };
  const auto num = [](const boost::json::value& v) { return v.is_null() ? std::string() : boost::json::serialize(v); };
  // Both files print the same shortest round-trip digits, but Boost.JSON 1.81's parser (not correctly rounded)
  // can land one unit in the last place off: allow 2 ulps, far below any modelling difference.
  const auto same = [](const std::string& csv, const std::string& json) {
    if (csv.empty() || json.empty()) return csv == json;
    const double a = std::stod(csv), b = std::stod(json);
    return std::abs(a - b) <= 4.5e-16 * std::max(std::abs(a), std::abs(b));
  };
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto row = split(lines[i]);
    REQUIRE(row.size() == header.size());  // no field of these rows holds a comma
    const TempDir one;
    const ProcessResult r =
        run_process({kHost, "run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "json", "--out",
                     one.path(), "--hardware", row[col("hardware")], "--set", "decode.max_new_tokens=" + row[0],
                     "--set", "batch.size=" + row[1], "--set", "vision.mode=" + row[2]});
    REQUIRE(r.exit_code == 0);
    const auto j = boost::json::parse(read_file(one / "report.json"));
    const auto& sum = j.at("summary").as_object();
    CAPTURE(lines[i]);
    for (const char* st : {"vision", "prefill", "decode"}) {
      const auto* so = sum.at("stages").as_object().if_contains(st);
      for (const char* m : {"tc_flops", "io_bytes", "time_s"}) {
        const std::string key = std::string(st) + "." + m, csv = row[col(key)];
        const std::string json = so != nullptr ? num(so->at(m)) : std::string();
        CAPTURE(key);
        CAPTURE(csv);
        CAPTURE(json);
        CHECK(same(csv, json));
      }
    }
    const auto& mem = sum.at("memory").as_object();
    for (const std::string k : {"ttft_s", "tpot_s", "decode_tokens_per_s", "decode_steps", "prefill_tokens",
                                "weights_bytes", "kv_cache_bytes", "activations_peak_bytes"}) {
      const std::string csv = row[col(k)], json = num(sum.contains(k) ? sum.at(k) : mem.at(k));
      CAPTURE(k);
      CAPTURE(csv);
      CAPTURE(json);
      CHECK(same(csv, json));
    }
    CHECK(row[col("fits")] == (mem.at("fits").as_bool() ? "true" : "false"));
  }
}

namespace {

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MM_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(MM_TEST_ASAN)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif

struct Measured {
  int exit_code = -1;
  long max_rss_kb = -1;  // the child's peak resident memory (getrusage through wait4)
  double seconds = 0;
};

// Runs argv with stdout/stderr to files in `dir` and returns its exit code and peak RSS.
Measured run_measured(std::vector<std::string> args, const std::string& dir,
                      const std::vector<std::string>& extra_env = {}) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text(extra_env);
  for (char** e = environ; *e != nullptr; ++e) env_text.emplace_back(*e);  // extra_env first: it wins
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, (dir + "/stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, (dir + "/stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  Measured m;
  if (rc != 0) return m;
  int status = 0;
  rusage usage{};
  while (::wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  m.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  m.max_rss_kb = usage.ru_maxrss;
  return m;
}

}  // namespace

// The case: a 3,000,000-point sweep held 1.7 GB and grew while it ran. Rows now stream to sweep.csv, so the
// peak memory does not depend on the point count. 1,000,000 points (250,000 under AddressSanitizer, ~4x slower):
// holding them would take at least 1,000,000 × ~470 bytes (a SweepPoint with its strings and figures) = 470 MB
// before any document is built (the whole-document path measured ~4 KB a row); the bound is 160 MB. Measured:
// 64 MB peak, 10 s (g++ 12, 2 threads, load average 8). Under ASan the child runs with a 16 MiB free quarantine
// (the default 256 MiB would fill with freed rows and hide the difference): measured 142 MB peak, 13 s; holding
// the 250,000 rows would add at least 250,000 × ~700 bytes (redzones) = 175 MB to that, over the 240 MB bound.
TEST_CASE("sweep: rows stream to sweep.csv, peak memory bounded whatever the point count") {
  const TempDir out;
  const std::string last = kAsan ? "2500" : "10000";  // 100 batch sizes × 10,000 (or 2,500) decode lengths
  const std::size_t points = kAsan ? 250'000 : 1'000'000;
  const long bound_kb = kAsan ? 240 * 1024 : 160 * 1024;
  std::vector<std::string> env;
  if (kAsan) {
    const char* asan = std::getenv("ASAN_OPTIONS");
    env.push_back(std::string("ASAN_OPTIONS=") + (asan != nullptr ? std::string(asan) + ":" : "") +
                  "quarantine_size_mb=16");
  }
  const Measured m = run_measured(
      {kHost, "sweep", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--out", out / "sweep", "--threads", "2",
       "--vary", "batch.size=1:100:1", "--vary", "decode.max_new_tokens=1:" + last + ":1"},
      out.path(), env);
  const std::string err = read_file(out / "stderr");
  const std::string stdout_text = read_file(out / "stdout");
  CAPTURE(err);
  CAPTURE(m.seconds);
  CAPTURE(m.max_rss_kb);
  REQUIRE(m.exit_code == 0);
  CHECK(stdout_text.find(std::to_string(points) + " points") != std::string::npos);
  // Every row is there, in order: header, the first point, the last point.
  const std::string csv = read_file(out / "sweep/sweep.csv");
  CHECK(static_cast<std::size_t>(std::count(csv.begin(), csv.end(), '\n')) == points + 1);
  CHECK(csv.find("\n1,1,h100-sxm,true,") != std::string::npos);
  CHECK(csv.find("\n100," + last + ",h100-sxm,") != std::string::npos);
  CHECK(csv.find("partial") == std::string::npos);
  MESSAGE("sweep of " << points << " points: peak RSS " << m.max_rss_kb / 1024 << " MB (bound " << bound_kb / 1024
                      << " MB), " << m.seconds << " s");
  CHECK(m.max_rss_kb > 0);
  CHECK(m.max_rss_kb < bound_kb);
}

TEST_CASE("sweep: a whole-document writer (json, yaml, md, html) is refused past 20,000 points, before any work") {
  const TempDir out;
  const ProcessResult r = sweep(out, {"--format", "csv,json", "--vary", "decode.max_new_tokens=1:20001:1"});
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("--format json: a sweep of 20001 points is more than the 20000 rows a whole-document writer "
                   "holds in memory; write csv (streamed, any size) or --shard it") != std::string::npos);
  CHECK(split_lines(r.err).size() == 1);
  CHECK_FALSE(std::filesystem::exists(out / "sweep.csv"));
  CHECK_FALSE(std::filesystem::exists(out / "report.json"));
  // A shard of it is within the limit.
  const ProcessResult shard =
      sweep(out, {"--format", "json", "--vary", "decode.max_new_tokens=1:20001:1", "--shard", "1/2"});
  CAPTURE(shard.err);
  CHECK(shard.exit_code == 0);
  CHECK(shard.out.find("10000 points") != std::string::npos);
}

TEST_CASE("sweep: a full disk while rows stream leaves no partial file, no temporary, no new folder (exit 6)") {
  const TempDir td;
  const std::string out = td / "a/b";
  // A 1 MiB file size limit with SIGXFSZ ignored: sweep.csv's writes fail with EFBIG as on a full disk, mid-sweep
  // (20,000 rows are ~5 MB).
  const ProcessResult r = run_process(
      {"sh", "-c",
       // LeakSanitizer's exit-time tracer crashes under a file size limit (signal 11 in CI's ASan
       // build), so leak checking is off for this one child; ASan's other checks stay on.
       "trap '' XFSZ; ulimit -f 1024; export ASAN_OPTIONS=\"${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0\"; "
       "exec \"$0\" \"$@\"",
       kHost, "sweep", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--out", out, "--vary",
       "decode.max_new_tokens=1:20000:1"});
  CHECK(r.exit_code == 6);
  CHECK(r.err == "modelmeter: error: cannot write '" + out + "/sweep.csv': File too large\n");
  CHECK(r.out.empty());
  CHECK_FALSE(std::filesystem::exists(td / "a"));  // the folders made for it are removed with the temporary
}
