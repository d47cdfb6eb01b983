// Input files that are not regular files (a device, a FIFO) or are too large are refused at once, through the
// real binary: `--model /dev/zero` must not read gigabytes and a FIFO must not hang the run.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace mm_test;

namespace {
const std::string kHost = MM_TEST_HOST;

ProcessResult run(const TempDir& td, std::vector<std::string> extra) {
  std::vector<std::string> args = {kHost, "run", "--format", "json", "--out", td / "out"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_process(args);
}
}  // namespace

TEST_CASE("run refuses a device, a FIFO or an oversized file as the model, workload or hardware, at once") {
  const TempDir td;
  const std::string fifo = td / "fifo.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string big = td / "big.json";
  write_file(big, std::string((16u << 20) + 1, ' '));
  struct Case {
    std::vector<std::string> args;
    const char* says;
  };
  const std::vector<Case> cases = {
      {{"--plugin", "hf_decoder", "--workload", "llm-1024", "--model", "/dev/zero"}, "not a regular file"},
      {{"--plugin", "hf_decoder", "--workload", "llm-1024", "--model", fifo}, "not a regular file"},
      {{"--plugin", "hf_decoder", "--workload", "llm-1024", "--model", big}, "is larger than 16777216 bytes"},
      {{"--plugin", "hf_decoder", "--workload", "llm-1024", "--set", "model.config=\"" + fifo + "\""},
       "not a regular file"},
      {{"--plugin", "deepseek_ocr", "--workload", fifo}, "fifo.json"},
      {{"--plugin", "deepseek_ocr", "--workload", "std-v1", "--hardware", "/dev/zero"}, "/dev/zero"},
  };
  for (const auto& k : cases) {
    CAPTURE(describe_command(k.args));
    const auto t0 = std::chrono::steady_clock::now();
    const ProcessResult r = run(td, k.args);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find(k.says) != std::string::npos);
    CHECK(split_lines(r.err).size() == 1);
  }
}
