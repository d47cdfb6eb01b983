// The product's main job, end to end: `modelmeter run --plugin deepseek_ocr --workload std-v1` and friends.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/report_json.hpp"

using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

struct Run {
  ProcessResult process;
  boost::json::value report;
};

Run run(const std::string& workload, std::vector<std::string> extra = {}) {
  const TempDir out;
  std::vector<std::string> args = {kHost,        "run",    "--plugin", "deepseek_ocr",
                                   "--workload", workload, "--out",    out.path()};
  args.insert(args.end(), extra.begin(), extra.end());
  Run r{run_process(args), {}};
  if (r.process.exit_code == 0) r.report = boost::json::parse(read_file(out / "report.json"));
  return r;
}

// Every module id in a stage's tree.
void ids(const boost::json::value& node, std::vector<std::string>& out) {
  out.emplace_back(node.at("id").as_string());
  for (const auto& c : node.at("children").as_array()) ids(c, out);
}
bool has_id(const boost::json::value& report, const char* stage, const std::string& id) {
  std::vector<std::string> all;
  ids(at(report, {"stages", stage, "modules"}), all);
  return std::find(all.begin(), all.end(), id) != all.end();
}

}  // namespace

TEST_CASE("std-v1: the checkpoint's parameters, the token arithmetic and every stable key") {
  const Run r = run("std-v1");
  CAPTURE(r.process.err);
  REQUIRE(r.process.exit_code == 0);
  const auto& j = r.report;
  CHECK(r.process.out.find("model deepseek-ocr, workload std-v1, hardware h100-sxm") != std::string::npos);
  // The spec's table: 3,170,627,840 without and 3,336,106,240 with the LM head.
  CHECK(at(j, {"summary", "parameters"}).as_int64() == 3336106240);
  // Gundam, A4 page → 2×3 tiles → 273 + 21·30 = 903 vision tokens; P = 903 + 10; N = 512 → 511 steps.
  CHECK(at(j, {"summary", "vision_tokens"}).as_int64() == 903);
  CHECK(at(j, {"summary", "prefill_tokens"}).as_int64() == 913);
  CHECK(at(j, {"summary", "decode_steps"}).as_int64() == 511);
  for (const char* stage : {"vision", "prefill", "decode"}) {
    CAPTURE(stage);
    for (const char* key : {"tc_flops", "cuda_flops", "io_bytes", "time_s"})
      CHECK(num(j, {"summary", "stages", stage, key}) > 0);
    const std::string bound(at(j, {"summary", "stages", stage, "bound"}).as_string());
    CHECK((bound == "compute" || bound == "memory"));
  }
  // KV cache after the last step: 12 layers · (K + V) 2·10 heads·128 · (913 + 511) positions · 2 bytes.
  CHECK(num(j, {"summary", "memory", "kv_cache_bytes"}) == 12.0 * 2 * 10 * 128 * 1424 * 2);
  CHECK(num(j, {"summary", "memory", "weights_bytes"}) == 2.0 * 3336106240);
  CHECK(at(j, {"summary", "memory", "fits"}).as_bool());
  CHECK(num(j, {"summary", "ttft_s"}) == doctest::Approx(num(j, {"summary", "stages", "vision", "time_s"}) +
                                                         num(j, {"summary", "stages", "prefill", "time_s"})));
  CHECK(num(j, {"summary", "tpot_s"}) == doctest::Approx(num(j, {"summary", "stages", "decode", "time_s"}) / 511));
  CHECK(num(j, {"summary", "decode_tokens_per_s"}) == doctest::Approx(1 / num(j, {"summary", "tpot_s"})));
  // The module tree mirrors the real model's names, with repeat counts.
  CHECK(has_id(j, "vision", "model.sam_model.blocks.{2,5,8,11}.attn"));
  CHECK(has_id(j, "vision", "model.vision_model.transformer.layers.{0..23}"));
  CHECK(has_id(j, "vision", "model.sam_model[tiles]"));
  CHECK(has_id(j, "prefill", "model.layers.{1..11}.mlp.experts"));
  CHECK(has_id(j, "decode", "model.layers.0.self_attn"));
}

TEST_CASE("text-only separates the decoder: same prefill FLOPs as std-v1 at the same P, no vision stage") {
  const Run text = run("text-only");
  const Run standard = run("std-v1");
  REQUIRE(text.process.exit_code == 0);
  REQUIRE(standard.process.exit_code == 0);
  CHECK_FALSE(at(text.report, {"summary", "stages"}).as_object().contains("vision"));
  CHECK(at(text.report, {"summary", "vision_tokens"}).as_int64() == 0);
  CHECK(at(text.report, {"summary", "prefill_tokens"}).as_int64() == 913);
  // The vision modules are still part of the model: parameters and weights do not change.
  CHECK(at(text.report, {"summary", "parameters"}).as_int64() == 3336106240);
  CHECK(num(text.report, {"summary", "stages", "prefill", "tc_flops"}) ==
        num(standard.report, {"summary", "stages", "prefill", "tc_flops"}));
  CHECK(num(text.report, {"summary", "stages", "decode", "tc_flops"}) ==
        num(standard.report, {"summary", "stages", "decode", "tc_flops"}));
}

TEST_CASE("base-v1: one 1024 view, 273 vision tokens") {
  const Run r = run("base-v1");
  REQUIRE(r.process.exit_code == 0);
  CHECK(at(r.report, {"summary", "vision_tokens"}).as_int64() == 273);
  CHECK(at(r.report, {"summary", "prefill_tokens"}).as_int64() == 283);
  CHECK_FALSE(has_id(r.report, "vision", "model.sam_model[tiles]"));
}

TEST_CASE("overrides: a given grid, a longer decode, the what-if maximum context, MLA") {
  const Run grid = run("std-v1", {"--set", "vision.grid=[2,2]"});
  REQUIRE(grid.process.exit_code == 0);
  CHECK(at(grid.report, {"summary", "vision_tokens"}).as_int64() == 693);
  const Run too_long = run("std-v1", {"--set", "decode.max_new_tokens=8000"});
  CHECK(too_long.process.exit_code == 3);
  CHECK(too_long.process.err.find("913 + 8000 - 1 = 8912 exceeds the model's maximum of 8192 positions") !=
        std::string::npos);
  const Run what_if =
      run("std-v1", {"--set", "decode.max_new_tokens=8000", "--set", "model.max_position_embeddings=16384"});
  CHECK(what_if.process.exit_code == 0);
  const Run mla = run("std-v1", {"--model", "deepseek-ocr-mla"});
  REQUIRE(mla.process.exit_code == 0);
  const Run mha = run("std-v1", {"--model", "deepseek-ocr"});
  REQUIRE(mha.process.exit_code == 0);
  CHECK(at(mha.report, {"summary", "parameters"}).as_int64() == 3336106240);
  // MLA caches (512 + 64) values per position and layer instead of 2·10·128.
  CHECK(num(mla.report, {"summary", "memory", "kv_cache_bytes"}) == 12.0 * (512 + 64) * 1424 * 2);
}

TEST_CASE("invalid DeepSeek-OCR inputs are rejected before any output") {
  for (const auto& item : std::vector<std::pair<std::string, std::string>>{
           {"vision.grid=[3,4]", "has 12 tiles; allowed 2 to 9"},
           {"vision.image_size=650", "not a multiple of 64"},
           {"batch.size=0", "'batch.size' = 0 is not allowed"},
           {"model.num_attention_heads=7", "does not divide model.hidden_size = 1280"},
           {"vision.mode=huge", "one of off, tiny, small, base, large, gundam"},
       }) {
    const std::string& set_arg = item.first;  // (structured bindings cannot be captured by CAPTURE in C++20)
    CAPTURE(set_arg);
    const Run r = run("std-v1", {"--set", set_arg});
    CHECK(r.process.exit_code == 3);
    CHECK(r.process.err.find(item.second) != std::string::npos);
  }
}

TEST_CASE("per-component totals partition each stage") {
  const Run r = run("std-v1");
  REQUIRE(r.process.exit_code == 0);
  for (const char* stage : {"vision", "prefill", "decode"}) {
    CAPTURE(stage);
    double tc = 0, time = 0, share = 0;
    for (const auto& [name, c] : at(r.report, {"stages", stage, "components"}).as_object()) {
      tc += num(c, {"tc_flops"});
      time += num(c, {"time_s"});
      share += num(c, {"share_of_time"});
    }
    CHECK(tc == doctest::Approx(num(r.report, {"summary", "stages", stage, "tc_flops"})).epsilon(1e-12));
    CHECK(time == doctest::Approx(num(r.report, {"summary", "stages", stage, "time_s"})).epsilon(1e-12));
    CHECK(share == doctest::Approx(1.0));
  }
  const auto& vision = at(r.report, {"stages", "vision", "components"});
  CHECK(at(vision, {"SAM encoder", "parameters"}).as_int64() == 95569152);
  CHECK(at(vision, {"CLIP encoder", "parameters"}).as_int64() == 303177728);
  CHECK(at(vision, {"projector", "parameters"}).as_int64() == 2622720);
  const auto& prefill = at(r.report, {"stages", "prefill", "components"});
  CHECK(at(prefill, {"decoder attention", "parameters"}).as_int64() == 12 * 6553600);
  CHECK(at(prefill, {"decoder MLP/MoE", "parameters"}).as_int64() == 26296320 + 11LL * 227164160);
  CHECK(at(prefill, {"LM head", "parameters"}).as_int64() == 165478400);
  CHECK(at(prefill, {"embedding", "parameters"}).as_int64() == 165478400);
}

TEST_CASE("describe prints the config and per-module parameter counts, with or without a workload") {
  const ProcessResult d = run_process({kHost, "describe", "--plugin", "deepseek_ocr"});
  CAPTURE(d.err);
  REQUIRE(d.exit_code == 0);
  CHECK(d.out.find("model.hidden_size (an integer from 1 to 1048576, default 1280, deepseek_ocr)") !=
        std::string::npos);
  CHECK(d.out.find("DeepseekV2MoE (moe_routing)") != std::string::npos);
  CHECK(d.out.find("model deepseek-ocr (workload (defaults)): 3336106240 parameters") != std::string::npos);
  CHECK(d.out.find("sam_model") != std::string::npos);
  CHECK(d.out.find("layers.{1..11}") != std::string::npos);
}

TEST_CASE("parallel: DeepSeek-OCR refuses invalid EP and PP layouts with exit 3 and one line") {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"parallel.dp=3", "parallel.ep=3"}, "parallel.ep = 3 must divide n_routed_experts = 64 (allowed: 1, 2, 4, 8, 16, 32, 64)"},
      {{"parallel.pp=13"}, "parallel.pp = 13 exceeds num_hidden_layers = 12 (allowed: 1 to 12)"},
      {{"parallel.tp=2", "parallel.dp=2", "parallel.ep=4"},
       "parallel.ep = 4 must equal parallel.tp = 2 when parallel.tp > 1 (allowed: 1, 2)"},
      {{"parallel.ep=2"}, "workload key 'parallel.ep' = 2 must divide parallel.tp * parallel.dp = 1"},
      {{"parallel.dp=2", "parallel.ep=2", "model.n_routed_experts=0"},
       "parallel.ep = 2 needs routed experts; n_routed_experts = 0 (allowed: 1)"},
      {{"parallel.tp=4"}, "parallel.tp = 4 must divide num_attention_heads = 10 (allowed: 1, 2, 5, 10)"},
  };
  for (const auto& item : cases) {
    const std::string expected = item.second;
    CAPTURE(expected);
    std::vector<std::string> extra;
    for (const auto& kv : item.first) {
      extra.push_back("--set");
      extra.push_back(kv);
    }
    const Run r = run("std-v1", extra);
    CHECK(r.process.exit_code == 3);
    CHECK(r.process.err.find(expected) != std::string::npos);
    CHECK(r.process.out.empty());
  }
}

TEST_CASE("parallel: DeepSeek-OCR at EP = 2 over 2 data-parallel GPUs halves the routed experts per GPU") {
  const Run one = run("std-v1");
  const Run two = run("std-v1", {"--set", "parallel.dp=2", "--set", "parallel.ep=2"});
  CAPTURE(two.process.err);
  REQUIRE(one.process.exit_code == 0);
  REQUIRE(two.process.exit_code == 0);
  const auto& j = two.report;
  CHECK(at(j, {"summary", "parallel", "ep"}).as_int64() == 2);
  CHECK(at(j, {"summary", "parallel", "gpus"}).as_int64() == 2);
  // 11 MoE layers · 32 of the 64 experts · 3·1280·896 parameters leave each GPU: 1,211,105,280 fewer.
  CHECK(at(one.report, {"summary", "parameters"}).as_int64() - at(j, {"summary", "parameters"}).as_int64() ==
        1211105280);
  CHECK(at(j, {"summary", "memory", "model_parameters"}).as_int64() == 3336106240);
  CHECK(has_id(j, "prefill", "model.layers.{1..11}.mlp.dispatch_all_to_all"));
  CHECK(has_id(j, "prefill", "model.layers.{1..11}.mlp.combine_all_to_all"));
  // Prefill all-to-alls: 11 layers × 2 × ½ · S, S = 913 tokens · 6 · 1280 · 2 bytes.
  CHECK(num(j, {"stages", "prefill", "comm_bytes"}) == 11 * 2 * 0.5 * (913.0 * 6 * 1280 * 2));
}

TEST_CASE("parallel: DeepSeek-OCR at PP = 2 builds the last stage and keeps the vision stage on stage 0") {
  const Run two = run("std-v1", {"--set", "parallel.pp=2"});
  CAPTURE(two.process.err);
  REQUIRE(two.process.exit_code == 0);
  const auto& j = two.report;
  CHECK(at(j, {"summary", "parallel", "gpus"}).as_int64() == 2);
  CHECK(has_id(j, "prefill", "model.layers.{6..11}"));
  CHECK_FALSE(has_id(j, "prefill", "model.embed_tokens"));
  CHECK(has_id(j, "prefill", "model.recv_activations"));
  CHECK(has_id(j, "vision", "model.sam_model"));
  // The vision encoders run once, on stage 0, before the pipeline; the prompt then passes both stages.
  CHECK(num(j, {"summary", "ttft_s"}) == doctest::Approx(num(j, {"summary", "stages", "vision", "time_s"}) +
                                                         2 * num(j, {"summary", "stages", "prefill", "time_s"})));
  CHECK(num(j, {"summary", "tpot_s"}) == doctest::Approx(2 * num(j, {"summary", "stages", "decode", "time_s"}) / 511));
  // Per-GPU parameters: the vision side (SAM, CLIP, projector, 2·h) on stage 0 plus the last stage's 6 MoE layers,
  // final norm and LM head: 401,372,160 + 1,567,801,600. An upper bound of the busiest GPU, stage 0 (vision,
  // embedding and layers 0–5: 401,372,160 + 165,478,400 + 32,852,480 + 5 · 233,720,320 = 1,768,304,640).
  CHECK(at(j, {"summary", "parameters"}).as_int64() == 1969173760);
  CHECK(at(j, {"summary", "memory", "model_parameters"}).as_int64() == 3336106240);
  // Stage 0 → 1 sends the T × h activations: 913 · 1280 · 2 bytes at prefill.
  CHECK(num(j, {"stages", "prefill", "comm_bytes"}) == 913.0 * 1280 * 2);
}
