// Determinism: the same command gives byte-identical artifacts for every writer, whether run twice, from
// another working directory, with a relative or an absolute --out, or under another locale and time zone.
// (Reports hold no wall-clock time, no absolute output path and no host name: docs/errors.md, *Determinism*.)
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace fs = std::filesystem;
using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

// Every file under `dir`, by relative path, with its content.
std::map<std::string, std::string> artifacts(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
  }
  return files;
}

using Env = std::vector<std::pair<std::string, std::string>>;

std::map<std::string, std::string> run_into(std::vector<std::string> args, const std::string& out,
                                            const std::string& cwd, const Env& env = {}) {
  args.insert(args.begin(), kHost);
  args.insert(args.end(), {"--out", out});
  const ProcessResult r = run_process(args, env, cwd);
  INFO("command: " << describe_command(args) << " (in " << cwd << ")");
  INFO("stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  return artifacts(fs::path(out).is_absolute() ? out : cwd + "/" + out);
}

// Runs `args` four ways and checks that every artifact is byte-identical; returns the artifacts.
std::map<std::string, std::string> check_deterministic(const std::vector<std::string>& args) {
  const TempDir a, b;
  fs::create_directories(b / "deeper/still");
  const auto first = run_into(args, "out", a.path());
  REQUIRE_FALSE(first.empty());
  const auto again = run_into(args, "out2", a.path());
  const auto elsewhere = run_into(args, b / "abs-out", b / "deeper/still");
  const auto relative_up = run_into(args, "../up-out", b / "deeper/still",
                                    {{"LC_ALL", "C.UTF-8"}, {"TZ", "Pacific/Kiritimati"}, {"SOURCE_DATE_EPOCH", "0"}});
  for (const auto* other : {&again, &elsewhere, &relative_up}) {
    CHECK(other->size() == first.size());
    for (const auto& file : first) {  // (not a structured binding: clang 14 cannot capture one in CHECK)
      const std::string& path = file.first;
      const std::string& content = file.second;
      const auto it = other->find(path);
      CHECK_MESSAGE(it != other->end(), path << " is missing from a rerun");
      if (it != other->end()) CHECK_MESSAGE(it->second == content, path << " differs between runs");
    }
  }
  return first;
}

const std::vector<std::string> kAllFormats{"--format", "json,yaml,md,csv,html"};

}  // namespace

TEST_CASE("run: std-v1 in every format is byte-identical across reruns, folders and --out spellings") {
  std::vector<std::string> args{"run", "--plugin", "deepseek_ocr", "--workload", "std-v1"};
  args.insert(args.end(), kAllFormats.begin(), kAllFormats.end());
  const auto files = check_deterministic(args);
  for (const char* f : {"report.json", "report.yaml", "report.md", "report.csv", "report.html"}) {
    CHECK_MESSAGE(files.count(f) == 1, f << " written");
  }
  CHECK(files.count("layers/DeepseekV2MoE.md") == 1);
}

TEST_CASE("sweep: every format is byte-identical across reruns (threads do not reorder rows)") {
  std::vector<std::string> args{"sweep",
                                "--plugin",
                                "deepseek_ocr",
                                "--workload",
                                "std-v1",
                                "--vary",
                                "decode.max_new_tokens=1:64:1",
                                "--vary",
                                "batch.size=1,2,4",
                                "--hardware",
                                "h100-sxm,a100-80g"};
  args.insert(args.end(), kAllFormats.begin(), kAllFormats.end());
  const auto files = check_deterministic(args);
  CHECK(files.count("sweep.csv") == 1);
}

TEST_CASE("docs: the layer pages are byte-identical across reruns") {
  const auto files = check_deterministic({"docs", "--plugin", "deepseek_ocr", "--format", "md"});
  CHECK(files.count("layers/DeepseekV2MoE.md") == 1);
}
