// report.yaml parses back with yaml-cpp into the same values as report.json (Boost.JSON).
#include <doctest/doctest.h>
#include <yaml-cpp/yaml.h>

#include <boost/json.hpp>

#include "support/process.hpp"

using namespace mm_test;

TEST_CASE("yaml: report.yaml parses back with yaml-cpp to report.json's values") {
  const TempDir out;
  const ProcessResult r = run_process({MM_TEST_HOST, "run", "--plugin", "deepseek_ocr", "--workload", "std-v1",
                                       "--format", "json,yaml", "--out", out.path()});
  REQUIRE(r.exit_code == 0);
  const YAML::Node y = YAML::LoadFile(out / "report.yaml");
  const auto j = boost::json::parse(read_file(out / "report.json"));
  const auto& sum = j.at("summary");
  CHECK(y["summary"]["parameters"].as<int64_t>() == sum.at("parameters").as_int64());
  CHECK(y["summary"]["prefill_tokens"].as<int64_t>() == 913);
  CHECK(y["summary"]["ttft_s"].as<double>() == doctest::Approx(sum.at("ttft_s").as_double()).epsilon(1e-15));
  CHECK(y["summary"]["memory"]["fits"].as<bool>());
  CHECK(y["plugin"]["abi_version_text"].as<std::string>() == "1.3");
  CHECK(y["stages"]["decode"]["modules"]["children"].size() ==
        j.at("stages").at("decode").at("modules").at("children").as_array().size());
  CHECK(y["layers"]["DeepseekV2MoE"]["doc"].as<std::string>() ==
        std::string(j.at("layers").at("DeepseekV2MoE").at("doc").as_string()));
}
