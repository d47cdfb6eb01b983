// The modelmeter executable, run as a user would: reports, summaries, the command line. (Every error class:
// test_errors.cpp; byte-identical reruns: test_determinism.cpp.)
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
const fs::path kSource = MM_TEST_SOURCE_DIR;

ProcessResult mm(std::vector<std::string> args, const std::string& cwd = {}) {
  args.insert(args.begin(), kHost);
  return run_process(args, {}, cwd);
}

boost::json::value report(const fs::path& dir) {
  return boost::json::parse(read_file((dir / "report.json").string()));
}

double num(const boost::json::value& v, std::initializer_list<const char*> path) {
  const boost::json::value* cur = &v;
  for (const char* k : path) cur = &cur->as_object().at(k);
  return cur->is_int64() ? static_cast<double>(cur->as_int64()) : cur->as_double();
}

const std::vector<std::string> kExample = {"run", "--plugin", "example_transformer", "--workload", "example"};

}  // namespace

TEST_CASE("run writes report.json and prints a summary naming model, workload and hardware") {
  const TempDir td;
  const std::string out = td.path();
  auto args = kExample;
  args.insert(args.end(), {"--out", out});
  const ProcessResult r = mm(args);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("model example-transformer, workload example, hardware h100-sxm") != std::string::npos);
  CHECK(r.out.find("TTFT") != std::string::npos);
  CHECK(r.out.find("wrote " + out + "/report.json") != std::string::npos);
  const auto j = report(out);
  CHECK(j.at("schema_version").as_int64() == 1);
  CHECK(j.at("plugin").at("name").as_string() == "example_transformer");
  CHECK(j.at("plugin").at("abi_version").as_int64() == (1 << 16 | 3));
  CHECK(j.at("workload").at("values").at("attention.impl").as_string() == "flash");
  CHECK(j.at("workload").at("sources").at("attention.impl").as_string() == "model");
}

TEST_CASE("the example report's figures equal the hand derivation") {
  const TempDir td;
  const std::string out = td.path();
  auto args = kExample;
  args.insert(args.end(), {"--out", out});
  REQUIRE(mm(args).exit_code == 0);
  const auto j = report(out);
  // h=256, 4 heads of 64, ffn 1024, 2 layers, vocab 32000.
  // Parameters: embedding 32000·256 = 8,192,000; per block 2 RMSNorm 512 + q,k,v,o 4·256² = 262,144 +
  // FFN 256·1024 + 1024 + 1024·256 + 256 = 525,568 → 788,224; two blocks 1,576,448; final norm 256;
  // LM head 8,192,000. Total 17,960,704.
  CHECK(j.at("summary").at("parameters").as_int64() == 17960704);
  CHECK(j.at("summary").at("prefill_tokens").as_int64() == 128);
  CHECK(j.at("summary").at("decode_steps").as_int64() == 31);
  CHECK(j.at("summary").at("vision_tokens").as_int64() == 0);
  // Prefill TC FLOPs, T = 128: projections 4·2·128·256² = 67,108,864; flash causal attention
  // E = 128·129/2 = 8,256 entries per head, 4 heads · 2·(64+64) FLOPs each = 8,454,144; FFN 2·2·128·256·1024 =
  // 134,217,728; block 209,780,736, two blocks 419,561,472; LM head on the last position 2·256·32000 = 16,384,000.
  CHECK(num(j, {"summary", "stages", "prefill", "tc_flops"}) == 435945472.0);
  // Decode, 31 steps with context K = 129 + s: per step projections + FFN 2·1,572,864 + LM head 16,384,000 =
  // 19,529,728; attention 2 layers · 4 heads · K · 256 = 2,048·K, Σ K = 31·129 + 465 = 4,464 → 9,142,272.
  CHECK(num(j, {"summary", "stages", "decode", "tc_flops"}) == 31.0 * 19529728.0 + 9142272.0);
  // KV cache after the last step: 2 layers · 4 heads · (128 + 32 - 1) positions · (64 + 64) · 2 bytes.
  CHECK(num(j, {"summary", "memory", "kv_cache_bytes"}) == 2.0 * 4 * 159 * 128 * 2);
  CHECK(num(j, {"summary", "memory", "weights_bytes"}) == 2.0 * 17960704);
  CHECK(j.at("summary").at("memory").at("fits").as_bool());
  // TTFT is the prefill time; TPOT the decode time per step; tokens/s = batch / TPOT.
  const double tpot = num(j, {"summary", "tpot_s"});
  CHECK(tpot == doctest::Approx(num(j, {"summary", "stages", "decode", "time_s"}) / 31));
  CHECK(num(j, {"summary", "decode_tokens_per_s"}) == doctest::Approx(1.0 / tpot));
  CHECK(num(j, {"summary", "ttft_s"}) == num(j, {"summary", "stages", "prefill", "time_s"}));
  CHECK_FALSE(j.at("summary").at("stages").as_object().contains("vision"));  // a stage not run is absent
}

TEST_CASE("doubling the prompt doubles the prefill's linear parts (scaling law through the whole stack)") {
  const TempDir ta, tb;
  const std::string a = ta.path(), b = tb.path();
  auto args = kExample;
  args.insert(args.end(), {"--set", "model.layers=1", "--set", "decode.max_new_tokens=1"});
  auto a_args = args, b_args = args;
  a_args.insert(a_args.end(), {"--out", a, "--set", "prompt.text_tokens=100"});
  b_args.insert(b_args.end(), {"--out", b, "--set", "prompt.text_tokens=200"});
  REQUIRE(mm(a_args).exit_code == 0);
  REQUIRE(mm(b_args).exit_code == 0);
  const auto ja = report(a), jb = report(b);
  auto cat = [](const boost::json::value& j, const char* c) {
    return num(j, {"stages", "prefill", "categories", c, "tc_flops"});
  };
  // The LM head (matmul) runs on one position either way: subtract it (2·256·32000) before comparing.
  CHECK(cat(jb, "matmul") - 16384000.0 == 2 * (cat(ja, "matmul") - 16384000.0));
  // Causal flash attention: S(S+1)/2 entries per head: 200·201/2 = 20,100 vs 100·101/2 = 5,050.
  CHECK(cat(jb, "attention") / cat(ja, "attention") == doctest::Approx(20100.0 / 5050.0));
  CHECK_FALSE(ja.at("summary").at("stages").as_object().contains("decode"));  // N = 1: no decode step
  CHECK(ja.at("summary").at("tpot_s").is_null());
}

TEST_CASE("the command line: help, version, usage errors") {
  const ProcessResult help = mm({"--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("check-plugin") != std::string::npos);
  CHECK(help.out.find("Exit codes") != std::string::npos);
  for (const char* sub : {"run", "list", "describe", "check-plugin"}) {
    const ProcessResult h = mm({sub, "--help"});
    CHECK(h.exit_code == 0);
  }
  const ProcessResult v = mm({"--version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.find("modelmeter 0.1.0 (plugin ABI 1.3)") != std::string::npos);
  const ProcessResult missing = mm({"run", "--workload", "example"});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err.find("--plugin is required") != std::string::npos);
  CHECK(mm({"frobnicate"}).exit_code == 2);
}

TEST_CASE("list, describe and check-plugin say what is installed") {
  const ProcessResult plugins = mm({"list", "plugins"});
  CHECK(plugins.exit_code == 0);
  CHECK(plugins.out.find("example_transformer\t0.1.0\tABI 1.3\t") != std::string::npos);
  const ProcessResult writers = mm({"list", "writers"});
  CHECK(writers.out.find("json\t0.1.0\tABI 1.3\tformat json") != std::string::npos);
  const ProcessResult hw = mm({"list", "hardware"});
  CHECK(hw.out == "a100-40g\na100-80g\nh100-sxm\nh200\nl40s\nrtx5090\n");
  const ProcessResult layers = mm({"list", "layers", "--plugin", "example_transformer"});
  CHECK(layers.out.find("  ScaledDotProductAttention (attention)") != std::string::npos);
  CHECK(layers.out.find("  TransformerBlock (composite)") != std::string::npos);
  const ProcessResult d = mm({"describe", "--plugin", "example_transformer", "--workload", "example"});
  CHECK(d.exit_code == 0);
  CHECK(d.out.find("model.heads (an integer from 1 to 4096, default 4, example_transformer)") != std::string::npos);
  CHECK(d.out.find("17960704 parameters") != std::string::npos);
}

TEST_CASE("the example plugin at parallel.pp = 2: the last stage holds layer 1 and the LM head") {
  const TempDir td;
  auto args = kExample;
  args.insert(args.end(), {"--set", "parallel.pp=2", "--out", td.path()});
  const ProcessResult r = mm(args);
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  const auto j = report(td.path());
  // One of the 2 layers (788,224 parameters: 4·256² + 2·256·1024 + 7·256), the final norm (256) and the LM head
  // (256 × 32,000): 8,980,480, where one GPU holds 17,960,704.
  CHECK(num(j, {"summary", "parameters"}) == 788224 + 256 + 256 * 32000.0);
  CHECK(num(j, {"summary", "memory", "model_parameters"}) == 17960704);
  CHECK(num(j, {"summary", "memory", "kv_cache_bytes"}) == 325632 / 2);  // one layer's K/V of the two
  CHECK(num(j, {"summary", "parallel", "pp"}) == 2);
  // Stage 0 sends the 128 × 256 bf16 activations of the prompt, then 256 of each token.
  CHECK(num(j, {"stages", "prefill", "comm_bytes"}) == 128 * 256 * 2);
  CHECK(num(j, {"stages", "decode", "comm_bytes"}) == 31 * 256 * 2);
  CHECK(num(j, {"summary", "ttft_s"}) == doctest::Approx(2 * num(j, {"stages", "prefill", "time_s"})));
  const auto& prefill = j.at("stages").at("prefill").at("modules").at("children").as_array();
  REQUIRE(prefill.size() == 4);
  CHECK(prefill[0].at("id").as_string() == "model.recv_activations");
  CHECK(prefill[1].at("id").as_string() == "model.layers");
  CHECK(prefill[1].at("repeat").to_number<double>() == 1);
}

TEST_CASE("the example plugin refuses parallel.pp above its layers and parallel.ep (no experts)") {
  const TempDir td;
  auto args = kExample;
  args.insert(args.end(), {"--set", "parallel.pp=3", "--out", td.path()});
  const ProcessResult r = mm(args);
  CHECK(r.exit_code == 3);
  CHECK(r.err.find("parallel.pp = 3 exceeds model.layers = 2 (allowed: 1 to 2)") != std::string::npos);
  auto ep = kExample;
  ep.insert(ep.end(), {"--set", "parallel.dp=2", "--set", "parallel.ep=2", "--out", td.path()});
  const ProcessResult e = mm(ep);
  CHECK(e.exit_code == 3);
  CHECK(e.err.find("plugin 'example_transformer' (ABI 1.3) does not support expert parallelism: workload key "
                   "'parallel.ep' = 2 (allowed: 1)") != std::string::npos);
}
