// hf_decoder end to end: `modelmeter run --plugin hf_decoder --model NAME|PATH --workload llm-1024` and the
// one-line errors of malformed config.json files.
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/report_json.hpp"

using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;
const std::string kModels = std::string(MM_TEST_SOURCE_DIR) + "/configs/models/";

struct Run {
  ProcessResult process;
  boost::json::value report;
};

Run run(const std::string& model, std::vector<std::string> extra = {}, const std::string& workload = "llm-1024") {
  const TempDir out;
  std::vector<std::string> args = {kHost, "run", "--plugin", "hf_decoder", "--workload", workload, "--out", out.path()};
  if (!model.empty()) args.insert(args.end(), {"--model", model});
  args.insert(args.end(), extra.begin(), extra.end());
  Run r{run_process(args), {}};
  if (r.process.exit_code == 0) r.report = boost::json::parse(read_file(out / "report.json"));
  return r;
}

// The one error line a rejected run prints, and its exit code 3 (input rejected).
void expect_input_error(const Run& r, const std::vector<std::string>& parts) {
  CAPTURE(r.process.err);
  CHECK(r.process.exit_code == 3);
  // One error line (after the ignored-keys warning when the file was read).
  std::vector<std::string> errors;
  for (const auto& line : split_lines(r.process.err)) {
    if (line.rfind("modelmeter: warning: ", 0) != 0) errors.push_back(line);
  }
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].rfind("modelmeter: error: ", 0) == 0);
  for (const auto& p : parts) CHECK(r.process.err.find(p) != std::string::npos);
}

}  // namespace

TEST_CASE("llama-2-7b, llm-1024: parameters, token counts, stages and every stable key") {
  const Run r = run("llama-2-7b");
  CAPTURE(r.process.err);
  REQUIRE(r.process.exit_code == 0);
  const auto& j = r.report;
  CHECK(r.process.out.find("model llama-2-7b, workload llm-1024, hardware h100-sxm") != std::string::npos);
  CHECK(at(j, {"plugin", "name"}).as_string() == "hf_decoder");
  CHECK(at(j, {"summary", "parameters"}).as_int64() == 6738415616);
  CHECK(at(j, {"summary", "vision_tokens"}).as_int64() == 0);
  CHECK(at(j, {"summary", "prefill_tokens"}).as_int64() == 1024);
  CHECK(at(j, {"summary", "decode_steps"}).as_int64() == 255);
  CHECK_FALSE(at(j, {"summary", "stages"}).as_object().contains("vision"));
  for (const char* stage : {"prefill", "decode"}) {
    CAPTURE(stage);
    for (const char* key : {"tc_flops", "cuda_flops", "io_bytes", "time_s"})
      CHECK(num(j, {"summary", "stages", stage, key}) > 0);
  }
  CHECK(at(j, {"summary", "stages", "prefill", "bound"}).as_string() == "compute");
  CHECK(at(j, {"summary", "stages", "decode", "bound"}).as_string() == "memory");
  // KV cache after the last step: 32 layers · (K + V) 2·32 heads·128 · (1024 + 255) positions · 2 bytes.
  CHECK(num(j, {"summary", "memory", "kv_cache_bytes"}) == 32.0 * 2 * 32 * 128 * 1279 * 2);
  CHECK(num(j, {"summary", "memory", "weights_bytes"}) == 2.0 * 6738415616);
  CHECK(at(j, {"summary", "memory", "fits"}).as_bool());
  CHECK(num(j, {"summary", "ttft_s"}) == doctest::Approx(num(j, {"summary", "stages", "prefill", "time_s"})));
  CHECK(num(j, {"summary", "tpot_s"}) == doctest::Approx(num(j, {"summary", "stages", "decode", "time_s"}) / 255));
  // Warned once: the keys that do not change the analysis.
  CHECK(r.process.err.find("ignored keys (no effect on the analysis): _name_or_path") != std::string::npos);
  CHECK(r.process.err.find("rope_scaling, torch_dtype") != std::string::npos);
}

TEST_CASE("--model takes a path to a config.json, the default model is llama-2-7b") {
  const TempDir dir;
  run_process({"mkdir", "-p", dir / "my-llama"});
  write_file(dir / "my-llama/config.json", read_file(kModels + "llama-2-7b.json"));
  const Run by_path = run(dir / "my-llama/config.json");
  CAPTURE(by_path.process.err);
  REQUIRE(by_path.process.exit_code == 0);
  CHECK(by_path.process.out.find("model my-llama, workload llm-1024") != std::string::npos);
  const Run by_default = run("");
  REQUIRE(by_default.process.exit_code == 0);
  CHECK(by_default.process.out.find("model llama-2-7b,") != std::string::npos);
  CHECK(num(by_path.report, {"summary", "stages", "prefill", "tc_flops"}) ==
        num(by_default.report, {"summary", "stages", "prefill", "tc_flops"}));
}

TEST_CASE("every bundled model runs llm-1024 and llm-batch") {
  for (const char* model :
       {"llama-2-7b", "llama-3-8b", "mistral-7b-v0.1", "qwen2-7b", "mixtral-8x7b", "deepseek-v2-lite"}) {
    for (const char* workload : {"llm-1024", "llm-batch"}) {
      CAPTURE(model);
      CAPTURE(workload);
      const Run r = run(model, {"--hardware", "h200"}, workload);
      CAPTURE(r.process.err);
      CHECK(r.process.exit_code == 0);
    }
  }
}

TEST_CASE("Mixtral-8x7B: 93 GB of bf16 weights fit an H200, not an 80 GB H100") {
  const Run h200 = run("mixtral-8x7b", {"--hardware", "h200"});
  REQUIRE(h200.process.exit_code == 0);
  CHECK(at(h200.report, {"summary", "parameters"}).as_int64() == 46702792704);
  CHECK(at(h200.report, {"summary", "memory", "fits"}).as_bool());
  const Run h100 = run("mixtral-8x7b", {"--hardware", "h100-sxm"});
  REQUIRE(h100.process.exit_code == 0);
  CHECK_FALSE(at(h100.report, {"summary", "memory", "fits"}).as_bool());
  CHECK(h100.process.out.find("DOES NOT FIT") != std::string::npos);
}

TEST_CASE("counting conventions are workload keys: LM head on all tokens, embedding as a matmul") {
  const Run base = run("llama-2-7b");
  const Run all = run("llama-2-7b", {"--set", "count.lm_head=all"});
  const Run matmul = run("llama-2-7b", {"--set", "count.embedding=matmul"});
  REQUIRE(base.process.exit_code == 0);
  REQUIRE(all.process.exit_code == 0);
  REQUIRE(matmul.process.exit_code == 0);
  const double prefill = num(base.report, {"summary", "stages", "prefill", "tc_flops"});
  CHECK(num(all.report, {"summary", "stages", "prefill", "tc_flops"}) - prefill == 2.0 * 1023 * 4096 * 32000);
  CHECK(num(matmul.report, {"summary", "stages", "prefill", "tc_flops"}) - prefill == 2.0 * 1024 * 32000 * 4096);
  expect_input_error(run("llama-2-7b", {"--set", "count.lm_head=some"}), {"count.lm_head", "last, all"});
}

TEST_CASE("malformed config.json files: exit code 3 and one line naming the file and the key") {
  const std::string good = read_file(kModels + "llama-2-7b.json");
  struct Case {
    std::string from, to;
    std::vector<std::string> says;
  };
  const std::vector<Case> cases = {
      {"\"LlamaForCausalLM\"", "\"BertForMaskedLM\"", {"key 'architectures'", "BertForMaskedLM"}},
      {"\"hidden_size\": 4096,", "", {"key 'hidden_size' is missing"}},
      {"\"num_key_value_heads\": 32", "\"num_key_value_heads\": 5", {"key 'num_key_value_heads'", "does not divide"}},
      {"\"num_attention_heads\": 32", "\"num_attention_heads\": 24", {"key 'num_attention_heads'", "hidden_size"}},
      {"\"vocab_size\": 32000", "\"vocab_size\": \"many\"", {"key 'vocab_size'", "integer"}},
      {"\"use_cache\": true,", "\"use_cache\": true", {"not valid JSON"}},
  };
  for (const Case& k : cases) {
    CAPTURE(k.to);
    const TempDir dir;
    std::string text = good;
    const auto pos = text.find(k.from);
    REQUIRE(pos != std::string::npos);
    text.replace(pos, k.from.size(), k.to);
    write_file(dir / "bad.json", text);
    std::vector<std::string> says = k.says;
    says.push_back(dir / "bad.json");
    expect_input_error(run(dir / "bad.json"), says);
  }
}

TEST_CASE("--model errors: an unknown bundled name lists the models, deepseek_ocr still takes TOML only") {
  expect_input_error(run("llama-9"), {"unknown model 'llama-9'", "llama-2-7b", "mixtral-8x7b", "config.json"});
  expect_input_error(run("/nonexistent/config.json"), {"/nonexistent/config.json: cannot open the model config"});
  const TempDir out;
  const ProcessResult ocr = run_process({kHost, "run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--model",
                                         kModels + "llama-2-7b.json", "--out", out.path()});
  CHECK(ocr.exit_code == 3);
  CHECK(ocr.err.find("plugin 'deepseek_ocr' reads TOML model files") != std::string::npos);
}

TEST_CASE("a context past max_position_embeddings is refused, the what-if key raises it") {
  const Run too_long = run("llama-2-7b", {"--set", "prompt.text_tokens=4000"});
  expect_input_error(too_long, {"exceeds the model's maximum of 4096 positions"});
  const Run what_if =
      run("llama-2-7b", {"--set", "prompt.text_tokens=4000", "--set", "model.max_position_embeddings=8192"});
  CHECK(what_if.process.exit_code == 0);
}

TEST_CASE("list models shows the bundled config.json models next to the TOML ones") {
  const ProcessResult r = run_process({kHost, "list", "models"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("deepseek-ocr\n") != std::string::npos);
  for (const char* name :
       {"llama-2-7b", "llama-3-8b", "mistral-7b-v0.1", "qwen2-7b", "mixtral-8x7b", "deepseek-v2-lite"}) {
    CHECK(r.out.find(std::string(name) + " (config.json)\n") != std::string::npos);
  }
}

TEST_CASE("a sweep reports the ignored keys once, not once per point") {
  const TempDir out;
  const ProcessResult r =
      run_process({kHost, "sweep", "--plugin", "hf_decoder", "--model", "mistral-7b-v0.1", "--workload", "llm-1024",
                   "--vary", "decode.max_new_tokens=64,128,256", "--out", out.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  std::size_t warnings = 0;
  for (const auto& line : split_lines(r.err)) warnings += line.find("ignored keys") != std::string::npos ? 1 : 0;
  CHECK(warnings == 1);
  CHECK(split_lines(read_file(out / "sweep.csv")).size() == 4);  // header + 3 points
}

TEST_CASE("every writer works on an hf_decoder report unchanged") {
  const TempDir out;
  const ProcessResult r =
      run_process({kHost, "run", "--plugin", "hf_decoder", "--model", "deepseek-v2-lite", "--workload", "llm-batch",
                   "--format", "json,yaml,md,csv,html", "--out", out.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  for (const char* file : {"report.json", "report.yaml", "report.md", "report.csv", "report.html",
                           "layers/HfMlaAttention.md", "layers/HfSparseMoeBlock.md", "layers/HfDecoderModel.md"}) {
    CAPTURE(file);
    CHECK_FALSE(read_file(out / file).empty());
  }
  const auto report = boost::json::parse(read_file(out / "report.json"));
  CHECK(at(report, {"summary", "prefill_tokens"}).as_int64() == 2048);
  CHECK(at(report, {"summary", "decode_steps"}).as_int64() == 511);
  // MLA caches (512 + 64) values per position and layer: 27 layers, 32 sequences, 2559 positions, bf16.
  CHECK(num(report, {"summary", "memory", "kv_cache_bytes"}) == 27.0 * (512 + 64) * 32 * 2559 * 2);
}

TEST_CASE("parallel: Llama-2-7B at TP=2 reports the layout, communication and per-GPU memory") {
  const Run one = run("llama-2-7b");
  const Run two = run("llama-2-7b", {"--set", "parallel.tp=2", "--calibration", "none"});
  CAPTURE(two.process.err);
  REQUIRE(one.process.exit_code == 0);
  REQUIRE(two.process.exit_code == 0);
  const auto& j = two.report;
  CHECK(at(j, {"summary", "parallel", "tp"}).as_int64() == 2);
  CHECK(at(j, {"summary", "parallel", "gpus"}).as_int64() == 2);
  CHECK(at(at(one.report, {"summary", "parallel"}), {"gpus"}).as_int64() == 1);
  // Per prefill layer two all-reduces of T·h·2 bytes (T = 1024, h = 4096), 2(g−1)/g·S = S each at g = 2, the
  // embedding's all-reduce of the same size, and the LM head's all-gather of (g−1)/g·B·V·2 bytes.
  const double s = 1024.0 * 4096 * 2;
  CHECK(num(j, {"stages", "prefill", "comm_bytes"}) == doctest::Approx(65 * s + 0.5 * 32000 * 2));
  CHECK(num(j, {"stages", "prefill", "comm_time_s"}) > 0);
  CHECK(num(j, {"stages", "prefill", "time_s"}) > num(j, {"stages", "prefill", "comm_time_s"}));
  // Weights per GPU: the norms replicated, everything else halved.
  const double w1 = num(one.report, {"summary", "memory", "weights_bytes"});
  const double w2 = num(j, {"summary", "memory", "weights_bytes"});
  CHECK(w2 == doctest::Approx((w1 + 65 * 4096 * 2) / 2));
  CHECK(num(j, {"summary", "memory", "model_weights_bytes"}) == w1);
  CHECK(at(j, {"summary", "memory", "model_parameters"}).as_int64() == 6738415616);
}

TEST_CASE("parallel: Mixtral-8x7B does not fit one H100 and fits two at TP=2") {
  const Run one = run("mixtral-8x7b");
  const Run two = run("mixtral-8x7b", {"--set", "parallel.tp=2"});
  CAPTURE(two.process.err);
  REQUIRE(one.process.exit_code == 0);
  REQUIRE(two.process.exit_code == 0);
  CHECK_FALSE(at(one.report, {"summary", "memory", "fits"}).as_bool());
  CHECK(at(two.report, {"summary", "memory", "fits"}).as_bool());
}

TEST_CASE("parallel: Llama-2-70B needs more than one H100 and runs at TP=8 on one node") {
  const Run one = run("llama-2-70b");
  const Run eight = run("llama-2-70b", {"--set", "parallel.tp=8"});
  CAPTURE(eight.process.err);
  REQUIRE(one.process.exit_code == 0);
  REQUIRE(eight.process.exit_code == 0);
  CHECK_FALSE(at(one.report, {"summary", "memory", "fits"}).as_bool());
  CHECK(at(eight.report, {"summary", "memory", "fits"}).as_bool());
  CHECK(at(eight.report, {"summary", "memory", "model_parameters"}).as_int64() == 68976648192);
  CHECK(num(eight.report, {"summary", "tpot_s"}) < num(one.report, {"summary", "tpot_s"}));
}

TEST_CASE("parallel: Llama-2-70B TP=8 prefill all-reduces take NVLS on the roofline and the fitted ring calibrated") {
  const Run roof = run("llama-2-70b", {"--set", "parallel.tp=8", "--calibration", "none"});
  const Run cal = run("llama-2-70b", {"--set", "parallel.tp=8"});
  CAPTURE(roof.process.err);
  REQUIRE(roof.process.exit_code == 0);
  REQUIRE(cal.process.exit_code == 0);
  // Prefill: 161 all-reduces of S = 1024·8192·2 bytes (two per layer, the embedding's) and the LM head's
  // all-gather of 7/8·32000·2 bytes. At r = 8, S = 16.8 MB is past the 10.5 MB crossover: NVLS sends 9/8·S per
  // GPU in 23 µs + 9/8·S / 450 GB/s = 64.943 µs against the ring's 7/4·S in 8.4 µs + 65.245 µs.
  const double s = 1024.0 * 8192 * 2;
  const double gather = 7.0 / 8 * 32000 * 2;
  CHECK(num(roof.report, {"stages", "prefill", "comm_bytes"}) == doctest::Approx(161 * 9.0 / 8 * s + gather));
  CHECK(num(roof.report, {"stages", "prefill", "comm_time_s"}) ==
        doctest::Approx(161 * (23e-6 + 9.0 / 8 * s / 450e9) + 7 * 0.6e-6 + gather / 450e9));
  // Calibrated: the fitted all-reduce times it, and comm_bytes stays the ring's count.
  CHECK(num(cal.report, {"stages", "prefill", "comm_bytes"}) == doctest::Approx(161 * 7.0 / 4 * s + gather));
  // Decode: 16 KiB all-reduces, far below the crossover: the ring in both, the same bytes.
  const double step = 161 * 7.0 / 4 * 8192 * 2 + gather;
  CHECK(num(roof.report, {"stages", "decode", "comm_bytes"}) == doctest::Approx(255 * step));
  CHECK(num(cal.report, {"stages", "decode", "comm_bytes"}) == doctest::Approx(255 * step));
}

TEST_CASE("parallel: invalid layouts are exit 3 naming key, value, divisor and allowed values") {
  expect_input_error(
      run("llama-2-7b", {"--set", "parallel.tp=3"}),
      {"plugin 'hf_decoder'", "parallel.tp = 3 must divide num_attention_heads = 32", "(allowed: 1, 2, 4, 8, 16, 32)"});
  expect_input_error(
      run("llama-2-7b", {"--set", "parallel.tp=16"}),
      {"parallel.tp * parallel.pp * parallel.dp = 16 GPUs exceed hardware 'h100-sxm'", "allowed: at most 8 GPUs"});
  expect_input_error(run("llama-2-7b", {"--set", "parallel.tp=2", "--set", "parallel.ep=4"}),
                     {"workload key 'parallel.ep' = 4 must divide parallel.tp * parallel.dp = 2", "(allowed: 1, 2)"});
  expect_input_error(run("llama-2-7b", {"--set", "parallel.tp=2", "--set", "parallel.ep=2"}),
                     {"plugin 'hf_decoder'", "parallel.ep = 2 needs a mixture-of-experts model", "(allowed: 1)"});
  expect_input_error(run("mixtral-8x7b", {"--set", "parallel.dp=3", "--set", "parallel.ep=3"}),
                     {"parallel.ep = 3 must divide n_routed_experts = 8", "(allowed: 1, 2, 4, 8)"});
  expect_input_error(
      run("mixtral-8x7b", {"--set", "parallel.tp=2", "--set", "parallel.dp=2", "--set", "parallel.ep=4"}),
      {"parallel.ep = 4 must equal parallel.tp = 2 when parallel.tp > 1", "(allowed: 1, 2)"});
  // Mixtral with ep = 2 over 2 data-parallel GPUs runs (two all-to-alls per MoE layer).
  const Run ep = run("mixtral-8x7b", {"--set", "parallel.dp=2", "--set", "parallel.ep=2"});
  CAPTURE(ep.process.err);
  CHECK(ep.process.exit_code == 0);
  expect_input_error(run("llama-2-7b", {"--set", "parallel.pp=33"}),
                     {"plugin 'hf_decoder'", "parallel.pp = 33 exceeds num_hidden_layers = 32 (allowed: 1 to 32)"});
  // A plugin that lacks a sharding is refused naming it: the vit plugin (tensor parallel only) at pp = 2.
  const TempDir out;
  const ProcessResult vit = run_process({kHost, "run", "--plugin", "vit", "--workload", "vit-forward", "--set",
                                         "parallel.pp=2", "--out", out.path()});
  CHECK(vit.exit_code == 3);
  CHECK(vit.err.find("plugin 'vit' (ABI 1.3) does not support pipeline parallelism: workload key "
                     "'parallel.pp' = 2 (allowed: 1)") != std::string::npos);
  expect_input_error(run("llama-2-7b", {"--set", "parallel.tp=0"}), {"parallel.tp"});
}

TEST_CASE("parallel: pipeline stages multiply TTFT and TPOT by pp (one batch in flight)") {
  const Run two = run("llama-2-7b", {"--set", "parallel.pp=2"});
  CAPTURE(two.process.err);
  REQUIRE(two.process.exit_code == 0);
  const auto& j = two.report;
  CHECK(at(j, {"summary", "parallel", "gpus"}).as_int64() == 2);
  CHECK(num(j, {"summary", "ttft_s"}) == doctest::Approx(2 * num(j, {"stages", "prefill", "time_s"})));
  CHECK(num(j, {"summary", "tpot_s"}) == doctest::Approx(2 * num(j, {"stages", "decode", "time_s"}) / 255));
  CHECK(at(j, {"summary", "memory", "model_parameters"}).as_int64() == 6738415616);
}

TEST_CASE("parallel: a sweep varies parallel.tp") {
  const TempDir out;
  const ProcessResult r = run_process({kHost, "sweep", "--plugin", "hf_decoder", "--model", "llama-2-7b", "--workload",
                                       "llm-1024", "--vary", "parallel.tp=1,2,4,8", "--out", out.path()});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(split_lines(read_file(out / "sweep.csv")).size() == 5);  // header + 4 points
}
