// ABI stability, proven with the real host: the modelmeter executable is run on fixture plugins (built in
// tests/abi/fixtures) and on the bundled plugins, and both its exit code and its message are checked.
//
// This file builds two test executables: `abi_plugins` (everything below except the libc++ cases) and, with
// MM_TEST_LIBCXX_ONLY defined, `abi_libcxx` (the cases that load the example plugin built with
// clang++ -stdlib=libc++; they need the CTest fixture that builds it).
#include <modelmeter/abi.h>

#include <modelmeter/core/exit_codes.hpp>

#include "support/process.hpp"

#if !defined(MM_TEST_LIBCXX_ONLY)
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#endif

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef MM_TEST_HOST
#error "MM_TEST_HOST (path of the modelmeter executable) must be defined"
#endif

namespace fs = std::filesystem;

namespace {

// "1.1": the ABI this host (built from the same tree) speaks.
std::string host_abi_text() {
  return std::to_string(MM_ABI_VERSION_MAJOR) + "." + std::to_string(MM_ABI_VERSION_MINOR);
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

// Runs the host with a clean plugin search path, in `cwd` (a temporary folder) so that nothing is written
// into the build tree by accident.
ProcessResult host(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> argv{MM_TEST_HOST};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, {{"MODELMETER_PLUGIN_PATH", ""}, {"LC_ALL", "C"}}, cwd);
}

std::string describe(const std::vector<std::string>& args, const ProcessResult& r) {
  std::ostringstream o;
  o << "command: modelmeter " << describe_command(args) << "\nexit code: " << r.exit_code
    << (r.signaled ? " (killed by a signal)" : "") << "\n--- stdout ---\n"
    << r.out << "--- stderr ---\n"
    << r.err << "--------------";
  return o.str();
}

std::vector<std::string> lines_containing(const std::string& text, std::string_view what) {
  std::vector<std::string> out;
  for (const auto& l : split_lines(text))
    if (contains(l, what)) out.push_back(l);
  return out;
}

#if !defined(MM_TEST_LIBCXX_ONLY)

constexpr std::string_view kErrorPrefix = "modelmeter: error: ";
constexpr int kExitPluginLoad = modelmeter::kExitPluginLoad;        // 4
constexpr int kExitPluginFailure = modelmeter::kExitPluginFailure;  // 5

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The stderr of a failed command: exactly one line, "modelmeter: error: ...". Returns that line.
std::string one_error_line(const ProcessResult& r) {
  const std::vector<std::string> lines = split_lines(r.err);
  CHECK_MESSAGE(lines.size() == 1, "stderr must be exactly one line");
  if (lines.empty()) return {};
  CHECK_MESSAGE(starts_with(lines.front(), kErrorPrefix), "stderr must start with 'modelmeter: error: '");
  CHECK_MESSAGE(r.err.back() == '\n', "the error line ends with a newline");
  return lines.front();
}

// Every regular file in `dir` (empty when the folder does not exist).
std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

boost::json::value parse_json(const std::string& text) {
  boost::json::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  REQUIRE_MESSAGE(!ec, "report.json is not valid JSON: " << ec.message());
  return v;
}

// Dotted lookup ("summary.stages.prefill.tc_flops"); nullptr when a member is missing.
const boost::json::value* at(const boost::json::value& root, std::string_view dotted) {
  const boost::json::value* cur = &root;
  while (true) {
    const std::size_t dot = dotted.find('.');
    const std::string_view key = dotted.substr(0, dot);
    const boost::json::object* o = cur->if_object();
    if (o == nullptr) return nullptr;
    const auto it = o->find(key);
    if (it == o->end()) return nullptr;
    cur = &it->value();
    if (dot == std::string_view::npos) return cur;
    dotted.remove_prefix(dot + 1);
  }
}

double number_at(const boost::json::value& root, std::string_view dotted) {
  const boost::json::value* v = at(root, dotted);
  REQUIRE_MESSAGE(v != nullptr, "report.json lacks " << dotted);
  REQUIRE_MESSAGE(v->is_number(), dotted << " is not a number");
  return v->to_number<double>();
}

std::string fixture(const std::string& name) {
  return std::string(MM_TEST_FIXTURE_DIR) + "/" + name + ".so";
}

// A failed load: exit 4, not killed, one error line naming the path. Returns the line.
std::string expect_load_error(const std::vector<std::string>& args, const std::string& cwd, const std::string& path) {
  const ProcessResult r = host(args, cwd);
  const std::string context = describe(args, r);
  INFO(context);
  CHECK_FALSE(r.signaled);
  CHECK(r.exit_code == kExitPluginLoad);
  const std::string line = one_error_line(r);
  CHECK_MESSAGE(contains(line, path), "the error names the plugin path");
  return line;
}

// Collects "name" of each defined dynamic symbol from `nm -D --defined-only` output.
std::set<std::string> defined_dynamic_symbols(const std::string& nm_output) {
  std::set<std::string> names;
  for (const auto& line : split_lines(nm_output)) {
    std::istringstream in(line);
    std::vector<std::string> fields;
    for (std::string f; in >> f;) fields.push_back(f);
    if (fields.empty() || (fields.size() == 1 && fields[0].back() == ':')) continue;  // blank / "file:" header
    names.insert(fields.back());
  }
  return names;
}

// Every .so of the bundled plugin and writer folders.
std::vector<std::string> bundled_plugins() {
  std::vector<std::string> out;
  for (const std::string& dir : {std::string(MM_TEST_PLUGIN_DIR), std::string(MM_TEST_WRITER_DIR)}) {
    for (const auto& f : files_in(dir))
      if (fs::path(f).extension() == ".so") out.push_back(dir + "/" + f);
  }
  return out;
}

#endif  // !MM_TEST_LIBCXX_ONLY

}  // namespace

#if !defined(MM_TEST_LIBCXX_ONLY)

// ------------------------------------------------------------------------------------------------------
// Files that are not (loadable) plugins

TEST_CASE("a missing plugin file is one error line and exit code 4") {
  TempDir tmp;
  const std::string path = "/nonexistent/x.so";
  expect_load_error({"check-plugin", path}, tmp.path(), path);
  expect_load_error({"run", "--plugin", path, "--workload", "example", "--format", "json", "--out", tmp / "out"},
                    tmp.path(), path);
  CHECK_FALSE(fs::exists(tmp / "out/report.json"));
}

TEST_CASE("a truncated plugin file is one error line and exit code 4") {
  TempDir tmp;
  const std::string path = fixture("truncated");
  REQUIRE_MESSAGE(fs::file_size(path) == 4096, "the fixture is the first 4096 bytes of example_transformer.so");
  expect_load_error({"check-plugin", path}, tmp.path(), path);
}

TEST_CASE("a shared library without the entry symbol is one error line and exit code 4") {
  TempDir tmp;
  const std::string path = fixture("not_a_plugin");
  const std::string line = expect_load_error({"check-plugin", path}, tmp.path(), path);
  CHECK_MESSAGE(contains(line, MM_PLUGIN_ENTRY_SYMBOL), "the error names the missing entry symbol");
  expect_load_error({"run", "--plugin", path, "--workload", "example", "--format", "json", "--out", tmp / "out"},
                    tmp.path(), path);
}

// ------------------------------------------------------------------------------------------------------
// Version negotiation

TEST_CASE("a plugin declaring a future ABI is refused before any of its functions runs") {
  // The fixtures abort() in every function but the entry: a signaled host called into a refused plugin.
  struct Case {
    const char* name;
    const char* declared;
  };
  const Case cases[] = {{"future_abi", "1.99"}, {"future_major", "2.0"}};
  for (const Case& c : cases) {
    const std::string path = fixture(c.name);
    SUBCASE(c.name) {
      TempDir tmp;
      for (const bool run : {false, true}) {
        CAPTURE(run);
        const std::vector<std::string> args =
            run ? std::vector<std::string>{"run",      "--plugin", path,    "--workload", "example",
                                           "--format", "json",     "--out", tmp / "out"}
                : std::vector<std::string>{"check-plugin", path};
        const std::string line = expect_load_error(args, tmp.path(), path);
        CHECK_MESSAGE(contains(line, c.declared), "the error names the plugin's ABI " << c.declared);
        CHECK_MESSAGE(contains(line, host_abi_text()), "the error names the host's ABI " << host_abi_text());
      }
      CHECK_FALSE(fs::exists(tmp / "out/report.json"));
    }
  }
}

TEST_CASE("a plugin built against ABI 1.0 loads and runs, with live_bytes null and one warning") {
  TempDir tmp;
  const std::string path = fixture("old_abi_1_0");

  SUBCASE("check-plugin") {
    const std::vector<std::string> args{"check-plugin", path};
    const ProcessResult r = host(args, tmp.path());
    INFO(describe(args, r));
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "old_abi_1_0"));
    CHECK(contains(r.out, "ABI 1.0"));
    CHECK(contains(r.out, "OldLeaf"));
    CHECK(contains(r.out, "old.width"));
  }

  SUBCASE("run") {
    const std::string out = tmp / "out";
    const std::vector<std::string> args{"run",      "--plugin", path,    "--workload", "example",
                                        "--format", "json",     "--out", out};
    const ProcessResult r = host(args, tmp.path());
    INFO(describe(args, r));
    CHECK_FALSE(r.signaled);
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(out + "/report.json"));
    const std::string text = read_file(out + "/report.json");
    CHECK_MESSAGE(contains(text, "\"live_bytes\": null"), "a metric the plugin's ABI predates is null");
    CHECK_MESSAGE(!contains(text, "\"live_bytes\": 0"), "never a zero for a metric that is not provided");

    const auto warnings = lines_containing(r.err, "warning");
    CHECK_MESSAGE(warnings.size() == 1, "exactly one warning for the missing metric");
    if (!warnings.empty()) {
      CHECK(contains(warnings.front(), "1.0"));
      CHECK(contains(warnings.front(), "live_bytes"));
      CHECK(contains(warnings.front(), "not provided"));
    }
    CHECK(lines_containing(r.err, "error").empty());

    // The 1.0 plugin's numbers came through the ABI intact: OldLeaf of width 64 (its default), a 128-token
    // prompt and 32 new tokens (31 decode steps of one token).
    const boost::json::value report = parse_json(text);
    const double w = 64, prompt = 128, decode_steps = 31;
    CHECK(number_at(report, "plugin.abi_version") == MM_ABI_MAKE_VERSION(1, 0));
    CHECK(number_at(report, "summary.prefill_tokens") == prompt);
    CHECK(number_at(report, "summary.decode_steps") == decode_steps);
    CHECK(number_at(report, "summary.parameters") == w * w);
    CHECK(number_at(report, "summary.stages.prefill.tc_flops") == 2 * prompt * w * w);
    CHECK(number_at(report, "summary.stages.decode.tc_flops") == 2 * 1 * w * w * decode_steps);
    const boost::json::value* peak = at(report, "summary.memory.activations_peak_bytes");
    REQUIRE(peak != nullptr);
    CHECK_MESSAGE(peak->is_null(), "the activation peak needs live_bytes, which a 1.0 plugin does not provide");
  }
}

TEST_CASE("a plugin built against ABI 1.2 loads and runs, with comm_bytes null and only generation") {
  TempDir tmp;
  const std::string path = fixture("old_abi_1_2");
  const std::string out = tmp / "out";
  const std::vector<std::string> args{"run",      "--plugin", path,    "--workload", "example",
                                      "--format", "json",     "--out", out};
  const ProcessResult r = host(args, tmp.path());
  INFO(describe(args, r));
  CHECK_FALSE(r.signaled);
  REQUIRE(r.exit_code == 0);
  const std::string text = read_file(out + "/report.json");
  CHECK_MESSAGE(contains(text, "\"comm_bytes\": null"), "a metric the plugin's ABI predates is null");
  CHECK_MESSAGE(!contains(text, "\"live_bytes\": null"), "1.2 knows live_bytes");
  const auto warnings = lines_containing(r.err, "warning");
  CHECK_MESSAGE(warnings.size() == 1, "exactly one warning for the missing metric");
  if (!warnings.empty()) {
    CHECK(contains(warnings.front(), "1.2"));
    CHECK(contains(warnings.front(), "comm_bytes"));
  }
  // create_op got the plugin's 64-byte copy of the context (with the host's 80-byte struct_size) and still
  // made the right Linear: w = 64, a 128-token prompt, 31 decode steps.
  const boost::json::value report = parse_json(text);
  const double w = 64, prompt = 128, decode_steps = 31;
  CHECK(number_at(report, "plugin.abi_version") == MM_ABI_MAKE_VERSION(1, 2));
  CHECK(number_at(report, "summary.parameters") == w * w);
  CHECK(number_at(report, "summary.stages.prefill.tc_flops") == 2 * prompt * w * w);
  CHECK(number_at(report, "summary.stages.decode.tc_flops") == 2 * 1 * w * w * decode_steps);
}

// ------------------------------------------------------------------------------------------------------
// Plugins that fail: the host reports them in one line and keeps its output clean

TEST_CASE("an exception thrown inside a plugin is a one-line plugin failure (exit 5), never a crash") {
  const std::string path = fixture("thrower");
  struct Case {
    const char* where;
    std::vector<std::string> must_mention;
  };
  const std::vector<Case> cases{
      {"plan", {"thrower", "boom in plan", "plan"}},
      {"build", {"thrower", "boom in build", "stage 'prefill'", "layer class 'Boom'"}},
      {"metric", {"thrower", "boom in metric", "block", "metrics"}},
  };
  for (const Case& c : cases) {
    SUBCASE(c.where) {
      TempDir tmp;
      const std::string out = tmp / "out";
      const std::vector<std::string> args{
          "run",      "--plugin", path,    "--workload", "example", "--set", std::string("thrower.where=") + c.where,
          "--format", "json",     "--out", out};
      const ProcessResult r = host(args, tmp.path());
      INFO(describe(args, r));
      CHECK_FALSE(r.signaled);
      CHECK(r.exit_code == kExitPluginFailure);
      const std::string line = one_error_line(r);
      for (const std::string& word : c.must_mention) {
        CHECK_MESSAGE(contains(line, word), "the error mentions '" << word << "'");
      }
      CHECK_MESSAGE(!fs::exists(out + "/report.json"), "no report after a failure");
    }
  }

  SUBCASE("none: the same plugin works") {
    TempDir tmp;
    const std::string out = tmp / "out";
    const std::vector<std::string> args{"run",   "--plugin",           path,       "--workload", "example",
                                        "--set", "thrower.where=none", "--format", "json",       "--out",
                                        out};
    const ProcessResult r = host(args, tmp.path());
    INFO(describe(args, r));
    CHECK_FALSE(r.signaled);
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(out + "/report.json"));
    const boost::json::value report = parse_json(read_file(out + "/report.json"));
    const boost::json::value* name = at(report, "plugin.name");
    REQUIRE(name != nullptr);
    CHECK(name->is_string());
    CHECK(name->as_string() == "thrower");
    CHECK(number_at(report, "summary.stages.prefill.tc_flops") > 0);
  }
}

TEST_CASE("a layer whose children cannot be listed is a one-line plugin failure (exit 5)") {
  TempDir tmp;
  const std::string path = fixture("raw_children");
  const std::string out = tmp / "out";
  const std::vector<std::string> args{"run",      "--plugin", path,    "--workload", "example",
                                      "--format", "json",     "--out", out};
  const ProcessResult r = host(args, tmp.path());
  INFO(describe(args, r));
  CHECK_FALSE(r.signaled);
  CHECK(r.exit_code == kExitPluginFailure);
  const std::string line = one_error_line(r);
  CHECK(contains(line, "raw_children"));
  CHECK(contains(line, "children exploded"));
  CHECK(contains(line, "children"));
  CHECK_MESSAGE(!fs::exists(out + "/report.json"), "no report after a failure");
}

// ------------------------------------------------------------------------------------------------------
// The bundled plugins link only the SDK and export only the entry symbol

TEST_CASE("bundled plugins do not link libmodelmeter-core") {
  const std::vector<std::string> plugins = bundled_plugins();
  REQUIRE_MESSAGE(!plugins.empty(), "no bundled plugin found in " MM_TEST_PLUGIN_DIR " or " MM_TEST_WRITER_DIR);
  for (const std::string& so : plugins) {
    CAPTURE(so);
    const std::vector<std::string> argv{MM_TEST_READELF, "-d", so};
    const ProcessResult r = run_process(argv);
    INFO("readelf -d:\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_MESSAGE(!lines_containing(r.out, "(NEEDED)").empty(), "readelf shows the NEEDED entries");
    for (const std::string& needed : lines_containing(r.out, "(NEEDED)")) {
      CHECK_MESSAGE(!contains(needed, "modelmeter-core"), so << " links core: " << needed);
    }
  }
}

TEST_CASE("bundled plugins export exactly one symbol: modelmeter_plugin_entry") {
  const std::vector<std::string> plugins = bundled_plugins();
  REQUIRE_MESSAGE(!plugins.empty(), "no bundled plugin found in " MM_TEST_PLUGIN_DIR " or " MM_TEST_WRITER_DIR);
  for (const std::string& so : plugins) {
    CAPTURE(so);
    const std::vector<std::string> argv{MM_TEST_NM, "-D", "--defined-only", so};
    const ProcessResult r = run_process(argv);
    INFO("nm -D --defined-only:\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const std::set<std::string> symbols = defined_dynamic_symbols(r.out);
    CHECK(symbols.size() == 1);
    CHECK(symbols.count(MM_PLUGIN_ENTRY_SYMBOL) == 1);
  }
}

#else  // MM_TEST_LIBCXX_ONLY

// ------------------------------------------------------------------------------------------------------
// A plugin from another compiler and standard library (clang++ -stdlib=libc++) in the g++/libstdc++ host

TEST_CASE("the example plugin built with clang++ and libc++ is really a libc++ build") {
  const std::vector<std::string> argv{MM_TEST_READELF, "-d", MM_TEST_LIBCXX_PLUGIN};
  const ProcessResult r = run_process(argv);
  INFO("readelf -d:\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_MESSAGE(!lines_containing(r.out, "[libc++.so").empty(), "it needs libc++");
  CHECK_MESSAGE(lines_containing(r.out, "[libstdc++.so").empty(), "it does not need libstdc++");
  CHECK(lines_containing(r.out, "modelmeter-core").empty());
}

TEST_CASE("the example plugin built with clang++ and libc++ loads and gives the same report as the g++ build") {
  TempDir tmp;
  const std::string libcxx = MM_TEST_LIBCXX_PLUGIN;
  const std::string gxx = MM_TEST_EXAMPLE_PLUGIN;

  {
    const std::vector<std::string> args{"check-plugin", libcxx};
    const ProcessResult r = host(args, tmp.path());
    INFO(describe(args, r));
    CHECK_FALSE(r.signaled);
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "example_transformer"));
    CHECK(contains(r.out, "ABI " + host_abi_text()));
  }

  std::string reports[2];
  const std::string plugins[2] = {libcxx, gxx};
  const char* dirs[2] = {"A", "B"};
  for (int i = 0; i < 2; ++i) {
    const std::string out = tmp / dirs[i];
    const std::vector<std::string> args{"run",      "--plugin", plugins[i], "--workload", "example",
                                        "--format", "json",     "--out",    out};
    const ProcessResult r = host(args, tmp.path());
    INFO(describe(args, r));
    CHECK_FALSE(r.signaled);
    REQUIRE(r.exit_code == 0);
    REQUIRE(fs::exists(out + "/report.json"));
    reports[i] = read_file(out + "/report.json");
  }
  CHECK(!reports[0].empty());
  const bool identical = reports[0] == reports[1];
  CHECK_MESSAGE(identical, "report.json differs between the libc++ build (A) and the g++ build (B); kept in "
                               << tmp.path() << "-kept");
  if (!identical) {
    // Keep the evidence: the folder survives (TempDir would remove it) under another name.
    std::error_code ec;
    fs::copy(tmp.path(), tmp.path() + "-kept", fs::copy_options::recursive, ec);
  }
}

#endif  // MM_TEST_LIBCXX_ONLY
