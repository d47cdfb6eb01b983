// The bad-input catalogue (docs/errors.md): every error class, run through the real executable. Each case
// checks the exit code, the one-line message (its words, and the file:line:column or suggestion it must
// carry) and that the output folder holds exactly what it held before: no report, no temporary file, no
// folder left behind.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;
const std::string kFixtures = MM_TEST_FIXTURE_DIR;

std::string fixture(const std::string& name) {
  return kFixtures + "/" + name + ".so";
}

// Every file under `dir` (recursively) with its content; folders as "<path>/" with no content. Empty when
// `dir` does not exist.
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
    const std::string rel = fs::relative(e.path(), dir).string();
    if (e.is_directory()) {
      files[rel + "/"] = "";
    } else {
      files[rel] = read_file(e.path().string());
    }
  }
  return files;
}

struct Failure {
  std::vector<std::string> args;  // after "modelmeter"; "--out <out>" is appended unless `out` is empty
  int code;
  std::vector<std::string> needles;  // each must appear in the error line
};

// Runs a failing command and checks it: exit code, exactly one stderr line "modelmeter: error: …" holding
// every needle, nothing on stdout, and `out` (when given) exactly as before.
void expect_failure(const Failure& f, const std::string& out, const std::string& cwd,
                    const std::vector<std::string>& wrapper = {}) {
  std::vector<std::string> argv = wrapper;
  argv.push_back(kHost);
  argv.insert(argv.end(), f.args.begin(), f.args.end());
  if (!out.empty()) argv.insert(argv.end(), {"--out", out});
  const auto before = snapshot(out);
  const ProcessResult r = run_process(argv, {{"MODELMETER_PLUGIN_PATH", ""}, {"LC_ALL", "C"}}, cwd);
  INFO("command: " << describe_command(argv));
  INFO("stderr: " << r.err);
  CHECK_FALSE(r.signaled);
  CHECK(r.exit_code == f.code);
  const auto lines = split_lines(r.err);
  CHECK(lines.size() == 1);
  CHECK(r.err.rfind("modelmeter: error: ", 0) == 0);
  for (const auto& n : f.needles) CHECK_MESSAGE(r.err.find(n) != std::string::npos, "the error says: " << n);
  CHECK(r.out.empty());
  if (!out.empty()) CHECK_MESSAGE(snapshot(out) == before, "the output folder is left as it was");
}

// A scratch folder with a workload/hardware file writer and the standard output folder "out" (absent).
struct Scratch {
  TempDir td{"modelmeter-errors"};
  std::string file(const std::string& name, const std::string& text) const {
    const std::string p = td / name;
    write_file(p, text);
    return p;
  }
  std::string out() const { return td / "out"; }
  void fail(const Failure& f) const { expect_failure(f, out(), td.path()); }
};

std::vector<std::string> run_example(std::vector<std::string> extra = {}, const std::string& formats = "json") {
  std::vector<std::string> a{"run", "--plugin", "example_transformer", "--workload", "example", "--format", formats};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

std::vector<std::string> run_workload(const std::string& w) {
  return {"run", "--plugin", "example_transformer", "--workload", w, "--format", "json"};
}

const char* const kHardwareHead = "name = \"x\"\nvendor = \"v\"\n[tensor_core]\n";

}  // namespace

TEST_CASE("malformed TOML names the file, line and column (exit 3)") {
  const Scratch s;
  const std::string w = s.file("bad.toml", "[decode]\nmax_new_tokens = 4\n[batch\nsize = 1\n");
  s.fail({run_workload(w), 3, {"workload file " + w + ":3:7: malformed TOML", "expected ']'"}});
  const std::string hw =
      s.file("hw.toml", std::string(kHardwareHead) + "bf16 = 1\n[cuda_core]\nfp32 = = 1\n[memory]\n");
  s.fail({run_example({"--hardware", hw}), 3, {"hardware file " + hw + ":6:8: malformed TOML"}});
  const std::string m = s.file("m.toml", "hidden = [1,\n");
  s.fail({run_example({"--model", m}), 3, {"model file " + m + ":", "malformed TOML"}});
}

TEST_CASE("an unknown key suggests the closest valid one (exit 3)") {
  const Scratch s;
  const std::string w = s.file("u.toml", "[decode]\nmax_new_token = 4\n");
  s.fail(
      {run_workload(w), 3, {w + ":2:1: unknown key 'decode.max_new_token'", "did you mean 'decode.max_new_tokens'?"}});
  s.fail({run_example({"--set", "batch.sise=2"}),
          3,
          {"--set batch.sise=2: unknown key 'batch.sise'; did you mean 'batch.size'?"}});
  s.fail({run_example({"--set", "zzz.qqqqqqqq=2"}), 3, {"unknown key 'zzz.qqqqqqqq'; run 'modelmeter describe'"}});
  const std::string hw =
      s.file("hw.toml", std::string(kHardwareHead) + "bf16 = 1\n[cuda_core]\nfp32 = 1\n[memory]\nbandwidth = 1\n");
  s.fail({run_example({"--hardware", hw}),
          3,
          {hw + ":8:1: unknown key 'memory.bandwidth' (allowed: bandwidth_gb_s, capacity_gib)"}});
}

TEST_CASE("a value of the wrong type names key, expected and actual type (exit 3)") {
  const Scratch s;
  const std::string w = s.file("t.toml", "[decode]\nmax_new_tokens = \"four\"\n");
  s.fail({run_workload(w), 3, {w + ":2:18: key 'decode.max_new_tokens' must be an integer, got a string"}});
  s.fail({run_example({"--set", "model.heads=2.5"}), 3, {"key 'model.heads' must be an integer, got a float"}});
  s.fail({run_example({"--set", "batch.size=1\nprompt.text_tokens=5"}), 3, {"is not a single TOML value"}});
  const std::string hw = s.file("hw.toml", std::string(kHardwareHead) + "bf16 = \"fast\"\n");
  s.fail({run_example({"--hardware", hw}), 3, {hw + ":4:8: key 'tensor_core.bf16' must be a number"}});
}

TEST_CASE("an impossible value says what is allowed (exit 3)") {
  const Scratch s;
  s.fail({run_example({"--set", "batch.size=0"}),
          3,
          {"--set batch.size=0: key 'batch.size' = 0 is not allowed: expected an integer from 1 to 1048576"}});
  s.fail({run_example({"--set", "precision.weights=fp64"}),
          3,
          {"key 'precision.weights' = \"fp64\" is not allowed: expected one of fp32, bf16, fp16, fp8, int8, int4"}});
  s.fail({run_example({"--set", "model.heads=3"}), 3, {"model.heads = 3 does not divide model.hidden = 256"}});
  s.fail({run_example({"--set", "decode.max_new_tokens=5000"}), 3, {"exceeds the model's maximum of 4096 positions"}});
  s.fail({run_example({"--set", "precision.activations=fp8", "--hardware", "a100-80g"}),
          3,
          {"has no fp8 Tensor-Core peak"}});
  const std::string hw = s.file(
      "hw.toml", std::string(kHardwareHead) + "bf16 = -1\n[cuda_core]\nfp32 = 1\n[memory]\nbandwidth_gb_s = 1\n");
  s.fail({run_example({"--hardware", hw}), 3, {hw + ":4:8: key 'tensor_core.bf16' must be > 0, got -1"}});
  const std::string huge = s.file(
      "huge.toml", std::string(kHardwareHead) + "bf16 = 1e300\n[cuda_core]\nfp32 = 1\n[memory]\nbandwidth_gb_s = 1\n");
  s.fail({run_example({"--hardware", huge}), 3, {huge + ":4:8: key 'tensor_core.bf16' is too large"}});
  const std::string w = s.file("w.toml", "[batch]\nsize = 1\n");
  s.fail({run_workload(w), 3, {"workload file '" + w + "' does not set required key 'decode.max_new_tokens'"}});
}

TEST_CASE("unknown plugin, workload, hardware and format names list what exists") {
  const Scratch s;
  s.fail({{"run", "--plugin", "nope", "--workload", "example"},
          4,
          {"unknown plugin 'nope'; available: deepseek_ocr, example_transformer, hf_decoder (searched "}});
  s.fail({run_workload("nope"),
          3,
          {"unknown workload 'nope'; available: base-v1, example, llm-1024, llm-batch, serve-chat, serve-ocr, std-v1, "
           "text-only (or give a path to a .toml file)"}});
  s.fail({run_workload(s.td / "missing.toml"),
          3,
          {"workload file '" + s.td / "missing.toml" + "' does not exist or is not a file"}});
  s.fail({run_example({"--hardware", "tpu"}),
          3,
          {"unknown hardware 'tpu'; available: a100-40g, a100-80g, h100-sxm, h200, l40s, rtx5090"}});
  s.fail({run_example({}, "json,xml"), 4, {"unknown format 'xml'; available: csv, html, json, md, yaml"}});
  s.fail({run_example({}, "json,json"), 3, {"--format lists 'json' twice"}});
}

TEST_CASE("a plugin file that is missing, truncated, not a plugin or of a future ABI is refused (exit 4)") {
  const Scratch s;
  auto run = [](const std::string& so) {
    return std::vector<std::string>{"run", "--plugin", so, "--workload", "example", "--format", "json"};
  };
  s.fail({run("/nonexistent/x.so"), 4, {"cannot load plugin '/nonexistent/x.so': file does not exist"}});
  s.fail({run(fixture("truncated")),
          4,
          {"cannot load plugin '" + fixture("truncated") + "': truncated or corrupt (4096 bytes"}});
  const std::string text = s.file("text.so", "not an ELF file\n");
  s.fail({run(text), 4, {"cannot load plugin '" + text + "'"}});
  s.fail({run(fixture("not_a_plugin")), 4, {"no entry symbol 'modelmeter_plugin_entry' (not a ModelMeter plugin)"}});
  s.fail({run(fixture("future_abi")),
          4,
          {"cannot load plugin '" + fixture("future_abi") + "': plugin ABI 1.99 is newer than host ABI 1.3"}});
  s.fail({run(fixture("future_major")), 4, {"plugin ABI 2.0", "host ABI 1.3"}});
}

TEST_CASE("a plugin that throws or fails is one line naming plugin, call and layer (exit 5)") {
  const Scratch s;
  auto run = [](const std::string& so, const std::string& where) {
    return std::vector<std::string>{"run", "--plugin", so, "--workload", "example", "--set", where, "--format", "json"};
  };
  const std::string t = fixture("thrower");
  s.fail({run(t, "thrower.where=plan"), 5, {"plugin 'thrower': plan failed: plan: boom in plan"}});
  s.fail({run(t, "thrower.where=build"),
          5,
          {"plugin 'thrower' stage 'prefill': build failed: layer class 'Boom' (constructor): boom in build"}});
  s.fail({run(t, "thrower.where=metric"),
          5,
          {"plugin 'thrower' layer 'model.block' (Boom): metrics (forward) failed: Boom: boom in metric"}});
  s.fail({{"run", "--plugin", fixture("raw_children"), "--workload", "example", "--format", "json"},
          5,
          {"plugin 'raw_children' layer 'model' (RawRoot): children failed: children exploded"}});
}

TEST_CASE("a plugin returning NaN or a negative metric is rejected, naming layer and metric (exit 5)") {
  const Scratch s;
  auto run = [](const std::string& where) {
    return std::vector<std::string>{"run",     "--plugin", fixture("thrower"),       "--workload",
                                    "example", "--set",    "thrower.where=" + where, "--format",
                                    "json"};
  };
  s.fail({run("nan"),
          5,
          {"plugin 'thrower' layer 'model.block' (Boom): metrics (forward) failed: metric tc_flops is nan",
           "(metrics must be finite and >= 0)"}});
  s.fail({run("negative"),
          5,
          {"plugin 'thrower' layer 'model.block' (Boom): metrics (forward) failed: metric io_bytes is -18432 (metrics "
           "must be finite and >= 0)",
           "(metrics must be finite and >= 0)"}});
}

TEST_CASE("an output folder that is a file, or lies under a file, is refused (exit 6)") {
  const Scratch s;
  const std::string file = s.file("file", "x");
  expect_failure({run_example({"--out", file}), 6, {"output folder '" + file + "' is a file, not a folder"}}, {},
                 s.td.path());
  expect_failure({run_example({"--out", file + "/sub"}), 6, {"cannot create folder '" + file + "/sub'"}}, {},
                 s.td.path());
  CHECK(read_file(file) == "x");
  CHECK(snapshot(s.td.path()).size() == 1);  // just "file": nothing created beside it
}

TEST_CASE("a folder in the way of a report file writes nothing at all (exit 6)") {
  const Scratch s;
  fs::create_directories(s.out() + "/report.md");  // the md writer's file; json comes first and must not land
  s.file("out/keep.txt", "kept");
  s.fail({run_example({}, "json,md"), 6, {"cannot write '" + s.out() + "/report.md': a folder is in the way"}});
}

TEST_CASE("an output folder without write permission is refused (exit 6)") {
  const Scratch s;
  fs::create_directories(s.out());
  if (::geteuid() == 0) {
    MESSAGE("running as root: permission bits do not stop writes, so this case is covered by the others");
    return;
  }
  ::chmod(s.out().c_str(), 0555);
  s.fail({run_example(), 6, {"cannot write '" + s.out() + "/report.json': Permission denied"}});
  ::chmod(s.out().c_str(), 0755);
}

TEST_CASE("a full disk (file size limit) leaves no partial file and no new folder (exit 6)") {
  const Scratch s;
  // The child runs with a 1 KiB file size limit and SIGXFSZ ignored, so its writes past 1 KiB fail with
  // EFBIG as on a full disk; report.json is larger than that.
  const std::vector<std::string> limit{"sh", "-c", "trap '' XFSZ; ulimit -f 2; exec \"$0\" \"$@\""};
  expect_failure({run_example({}, "json,md"), 6, {"cannot write '" + s.out() + "/report.json': File too large"}},
                 s.out(), s.td.path(), limit);
  CHECK_FALSE(fs::exists(s.out()));
  const std::string deep = s.td / "a/b/c";
  expect_failure({run_example(), 6, {"cannot write '" + deep + "/report.json': File too large"}}, deep, s.td.path(),
                 limit);
  CHECK_FALSE(fs::exists(s.td / "a"));  // the folders it created are removed again
  // With an existing report: it stays as it was.
  fs::create_directories(s.out());
  s.file("out/report.json", "old");
  expect_failure({run_example(), 6, {"File too large"}}, s.out(), s.td.path(), limit);
  CHECK(read_file(s.out() + "/report.json") == "old");
}

TEST_CASE("a bad command line is exit 2 with a hint") {
  const Scratch s;
  expect_failure({{"run", "--workload", "example"}, 2, {"--plugin is required (see 'modelmeter --help')"}}, {},
                 s.td.path());
  expect_failure({{"frobnicate"}, 2, {"see 'modelmeter --help'"}}, {}, s.td.path());
  s.fail({run_example({"--set", "batch.size"}), 3, {"--set 'batch.size': expected section.key=value"}});
}
