// A plugin author's mistakes (tests/abi/fixtures/mistakes.cpp, one plugin per mistake): `check-plugin` refuses
// each with one line and a non-zero exit, and `run` (and `sweep`) refuse those a stage shows, so that no report
// carries two modules with one id, a class without a formula page or a decode length that disagrees with its
// steps. Also: an exception in a layer's constructor names plugin, stage and class once; global options may
// follow the subcommand.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;
const std::string kFixtures = MM_TEST_FIXTURE_DIR;

std::string mistake(const std::string& name) {
  return kFixtures + "/mistake_" + name + ".so";
}

ProcessResult mm(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> argv{kHost};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::pair<std::string, std::string>> env{{"MODELMETER_PLUGIN_PATH", ""}, {"LC_ALL", "C"}};
  // Under the ASan build: gcc 12's LeakSanitizer misreads the dynamic TLS of these dlopen'ed fixtures (glibc
  // 2.36) once a stage build has failed, and its exit-time tracer dies with signal 11 (exit 1, three lines of
  // its own on stderr). Leak checking is off for these children only; ASan's and UBSan's checks stay on.
  // (Harmless without ASan: nothing else reads the variable.)
  const char* asan = std::getenv("ASAN_OPTIONS");
  env.emplace_back("ASAN_OPTIONS",
                   (asan != nullptr && *asan != '\0' ? std::string(asan) + ":" : "") + "detect_leaks=0");
  return run_process(argv, env, cwd);
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

// A failing command: the exit code, exactly one stderr line "modelmeter: error: <line>" (the whole line given),
// nothing on stdout and no output folder.
void expect_error(const std::vector<std::string>& args, int code, const std::string& line) {
  const TempDir td("modelmeter-mistakes");
  std::vector<std::string> a = args;
  if (args.front() != "check-plugin") {
    if (std::find(a.begin(), a.end(), "--format") == a.end()) a.insert(a.end(), {"--format", "json"});
    a.insert(a.end(), {"--out", td / "out"});
  }
  const ProcessResult r = mm(a, td.path());
  INFO("command: modelmeter " << describe_command(a));
  INFO("stderr: " << r.err);
  CHECK_FALSE(r.signaled);
  CHECK(r.exit_code == code);
  CHECK(split_lines(r.err).size() == 1);
  CHECK(r.err == "modelmeter: error: " + line + "\n");
  CHECK(r.out.empty());
  CHECK_FALSE(fs::exists(td / "out"));
}

std::vector<std::string> run(const std::string& so, std::vector<std::string> extra = {}) {
  std::vector<std::string> a{"run", "--plugin", so, "--workload", "example"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

}  // namespace

TEST_CASE("check-plugin passes a correct plugin and lists the stages it built") {
  const TempDir td;
  const ProcessResult r = mm({"check-plugin", mistake("none")}, td.path());
  INFO("stderr: " << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  CHECK(r.out.find("plugin: mistake_none 0.1.0 (ABI 1.3, model)") != std::string::npos);
  CHECK(r.out.find("stages built on the default keys: prefill (3 layers), decode (3 layers)\n") != std::string::npos);
  CHECK(r.out.find("ok: host ABI 1.3 accepts it") != std::string::npos);
}

TEST_CASE("check-plugin warns, with exit 0, when the file is named differently from the plugin") {
  const TempDir td;
  const std::string so = kFixtures + "/mistake_renamed.so";
  const ProcessResult r = mm({"check-plugin", so}, td.path());
  CHECK(r.exit_code == 0);
  CHECK(r.err ==
        "modelmeter: warning: file 'mistake_renamed.so' holds plugin 'mistake_none': '--plugin mistake_none' looks "
        "for mistake_none.so on the search path and will not find it; name the file mistake_none.so\n");
  CHECK(r.out.find("ok: host ABI 1.3 accepts it") != std::string::npos);
}

TEST_CASE("two layer classes with one name: check-plugin exits 4") {
  expect_error({"check-plugin", mistake("dup_class")}, 4,
               "plugin 'mistake_dup_class' registers two layer classes named 'Block' (#1 and #2); class names must "
               "be unique: each names one formula page and one class in reports");
}

TEST_CASE("two children of one parent with one name: check-plugin and run exit 5") {
  const std::string line =
      "plugin 'mistake_dup_sibling' stage 'prefill': layer 'model' (MistakesModel) has two children named 'block'; "
      "sibling names must differ, they make the report's module ids (use 'blocks.0', 'blocks.1', … or one child "
      "with a repeat count)";
  expect_error({"check-plugin", mistake("dup_sibling")}, 5, line);
  expect_error(run(mistake("dup_sibling")), 5, line);
}

TEST_CASE("a class met in a tree but not registered: check-plugin and run exit 5") {
  const std::string line =
      "plugin 'mistake_unregistered' stage 'prefill': layer 'model.extra' has class 'Unlisted', which the plugin "
      "does not register; list it in MODELMETER_MODEL_PLUGIN(...) (mm_plugin_info.classes) so that its formula "
      "page is published";
  expect_error({"check-plugin", mistake("unregistered")}, 5, line);
  expect_error(run(mistake("unregistered")), 5, line);
}

TEST_CASE("a generative plugin whose plan says max_positions = 0: check-plugin and run exit 5") {
  const std::string line =
      "plugin 'mistake_no_max_positions': the plan says max_positions = 0, but the plugin builds a decode stage; "
      "return the model's maximum context in positions (mm_plan.max_positions >= 1), so that a generation longer "
      "than the model allows is refused";
  expect_error({"check-plugin", mistake("no_max_positions")}, 5, line);
  expect_error(run(mistake("no_max_positions")), 5, line);
}

TEST_CASE("no decode stage while the workload asks for N >= 2 new tokens: check-plugin, run and sweep exit 5") {
  const auto line = [](int n) {
    return "plugin 'mistake_no_decode' stage 'decode': build() returned no root layer, but the workload asks for "
           "N = " +
           std::to_string(n) +
           " new tokens (decode.max_new_tokens), so N - 1 decode steps; return the model run on one new token per "
           "sequence per step (ctx.query_tokens = 1, context ctx.kv_len + step)";
  };
  expect_error({"check-plugin", mistake("no_decode")}, 5, line(2));
  expect_error(run(mistake("no_decode"), {"--set", "decode.max_new_tokens=2"}), 5, line(2));
  // A sweep prepares once and evaluates every decode length: the longer one is refused too.
  expect_error({"sweep", "--plugin", mistake("no_decode"), "--workload", "example", "--vary",
                "decode.max_new_tokens=1,3", "--format", "csv"},
               5, line(3));
  // One new token needs no decode stage: that run is fine, and its report has no decode stage.
  const TempDir td;
  const ProcessResult ok =
      mm(run(mistake("no_decode"), {"--set", "decode.max_new_tokens=1", "--format", "json", "--out", td / "out"}),
         td.path());
  INFO("stderr: " << ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("1 new tokens") != std::string::npos);
  CHECK(read_file(td / "out/report.json").find("\"decode\"") == std::string::npos);
}

TEST_CASE("no vision stage although the plan says has_vision = 1: check-plugin and run exit 5") {
  const std::string line =
      "plugin 'mistake_no_vision' stage 'vision': the plan says has_vision = 1 but build() returned no root layer; "
      "return the vision encoder run on the image (ctx.query_tokens = 64 vision tokens) or plan has_vision = 0";
  expect_error({"check-plugin", mistake("no_vision")}, 5, line);
  expect_error(run(mistake("no_vision")), 5, line);
}

TEST_CASE("an exception in a layer's constructor names plugin, stage and class once (exit 5)") {
  const std::string line =
      "plugin 'mistake_ctor_throws' stage 'decode': build failed: layer class 'Block' (constructor): boom in "
      "constructor";
  expect_error({"check-plugin", mistake("ctor_throws")}, 5, line);
  expect_error(run(mistake("ctor_throws")), 5, line);
  CHECK(count(line, "decode") == 1);
  CHECK(count(line, "Block") == 1);
  // Thrown two constructors deep (Boom inside ThrowerModel), the innermost class is named.
  expect_error(run(kFixtures + "/thrower.so", {"--set", "thrower.where=build"}), 5,
               "plugin 'thrower' stage 'prefill': build failed: layer class 'Boom' (constructor): boom in build");
}

TEST_CASE("global options are accepted after the subcommand too") {
  const TempDir td;
  // --plugin-dir after `list`: the fixture folder's plugins are listed.
  const ProcessResult listed = mm({"list", "plugins", "--plugin-dir", kFixtures}, td.path());
  CHECK(listed.exit_code == 0);
  CHECK(listed.out.find(kFixtures + "/mistake_none.so") != std::string::npos);
  // --plugin-dir after `run` finds a plugin by name; -q after it silences the warning-free run's nothing,
  // and -v after it logs debug detail.
  const ProcessResult quiet = mm({"run", "--plugin", "mistake_none", "--workload", "example", "--format", "json",
                                  "--out", td / "q", "--plugin-dir", kFixtures, "-q"},
                                 td.path());
  INFO("stderr: " << quiet.err);
  CHECK(quiet.exit_code == 0);
  CHECK(quiet.err.empty());
  CHECK(fs::exists(td / "q/report.json"));
  const ProcessResult before = mm({"--plugin-dir", kFixtures, "-v", "run", "--plugin", "mistake_none", "--workload",
                                   "example", "--format", "json", "--out", td / "v1"},
                                  td.path());
  const ProcessResult after = mm({"run", "--plugin", "mistake_none", "--workload", "example", "--format", "json",
                                  "--out", td / "v2", "--plugin-dir", kFixtures, "-v"},
                                 td.path());
  CHECK(before.exit_code == 0);
  CHECK(after.exit_code == 0);
  CHECK(split_lines(after.err).size() == split_lines(before.err).size());
  CHECK(read_file(td / "v1/report.json") == read_file(td / "v2/report.json"));
  // An option no command knows is still a usage error.
  const ProcessResult bad = mm({"list", "plugins", "--no-such-option"}, td.path());
  CHECK(bad.exit_code == 2);
}
