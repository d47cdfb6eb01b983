// Golden files: the example plugin's report in every format, byte for byte (tests/golden/example/).
// After an intended change of output, refresh them with MM_UPDATE_GOLDEN=1 ctest -R golden, and review the
// diff before committing it.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/process.hpp"

using namespace mm_test;

TEST_CASE("golden: the example report in json, yaml, md, csv and html is byte-exact") {
  const TempDir out;
  const ProcessResult r = run_process({MM_TEST_HOST, "run", "--plugin", "example_transformer", "--workload", "example",
                                       "--format", "json,yaml,md,csv,html", "--out", out.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const std::filesystem::path golden = std::filesystem::path(MM_TEST_SOURCE_DIR) / "tests/golden/example";
  const bool update = std::getenv("MM_UPDATE_GOLDEN") != nullptr;
  for (const char* file : {"report.json", "report.yaml", "report.md", "report.csv", "report.html",
                           "layers/TransformerBlock.md", "layers/Linear.md"}) {
    CAPTURE(file);
    const std::string produced = read_file(out / file);
    if (update) {
      std::filesystem::create_directories((golden / file).parent_path());
      write_file((golden / file).string(), produced);
      MESSAGE("updated golden file " << file);
      continue;
    }
    REQUIRE_MESSAGE(std::filesystem::exists(golden / file), "missing golden file; run with MM_UPDATE_GOLDEN=1");
    CHECK_MESSAGE(produced == read_file((golden / file).string()),
                  "differs from tests/golden/example/" << file << " (MM_UPDATE_GOLDEN=1 refreshes it)");
  }
}
