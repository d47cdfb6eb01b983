// The vit plugin end to end: the bundled vit-forward and vit-train workloads (tasks forward and train) in every
// writer, with the figures derived by hand in tests/plugins/vit/test_vit.cpp and docs/training.md, and the one-line
// refusals of a task a plugin lacks.
#include <doctest/doctest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/report_json.hpp"

using namespace mm_test;

namespace {

const std::string kHost = MM_TEST_HOST;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Lines of a file that speak of generation: time to first token, time per output token, decode or a prompt.
std::vector<std::string> generation_words(const std::string& text) {
  std::vector<std::string> hits;
  for (const auto& line : split_lines(text)) {
    const std::string l = lower(line);
    for (const char* w : {"ttft", "tpot", "decode", "first token", "output token", "prefill", "prompt"}) {
      if (l.find(w) != std::string::npos) {
        hits.push_back(line.substr(0, 160));
        break;
      }
    }
  }
  return hits;
}

// A report file without its `layers` formula pages: those are each class's reference documentation (core's
// attention op documents its decode-stage formulas too), the same text for every task.
std::string without_layer_docs(const std::string& file, const std::string& text) {
  if (file.size() > 5 && file.compare(file.size() - 5, 5, ".json") == 0) {
    boost::json::value v = boost::json::parse(text);
    v.as_object().erase("layers");
    return boost::json::serialize(v);
  }
  if (file.size() > 5 && file.compare(file.size() - 5, 5, ".yaml") == 0) {
    const auto from = text.find("\nlayers:\n");
    const auto to = text.find("\nwarnings:", from == std::string::npos ? 0 : from);
    if (from != std::string::npos && to != std::string::npos) return text.substr(0, from) + text.substr(to);
  }
  return text;
}

}  // namespace

TEST_CASE("vit-forward: a forward pass in every writer with no generation wording") {
  const TempDir out;
  const auto p = run_process({kHost, "run", "--plugin", "vit", "--workload", "vit-forward", "--format",
                              "json,yaml,md,csv,html", "--out", out.path()});
  CAPTURE(p.err);
  REQUIRE(p.exit_code == 0);
  const auto j = boost::json::parse(read_file(out / "report.json"));
  CHECK(at(j, {"summary", "task"}).as_string() == "forward");
  CHECK(at(j, {"summary", "parameters"}).as_int64() == 86567656);
  CHECK(at(j, {"summary", "samples"}).as_int64() == 1);
  CHECK(at(j, {"summary", "tokens_per_sample"}).as_int64() == 197);
  CHECK(num(j, {"summary", "stages", "forward", "tc_flops"}) == 35127656448.0);
  CHECK(num(j, {"stages", "forward", "totals", "forward", "parameters"}) == 86567656.0);
  CHECK(at(j, {"stages", "forward", "query_tokens"}).as_int64() == 197);
  const double t = num(j, {"summary", "time_s"});
  CHECK(t > 0);
  CHECK(num(j, {"summary", "samples_per_s"}) == doctest::Approx(1 / t));
  CHECK(num(j, {"summary", "tokens_per_s"}) == doctest::Approx(197 / t));
  CHECK(num(j, {"summary", "memory", "weights_bytes"}) == 2 * 86567656.0);
  const auto& sum = j.as_object().at("summary").as_object();
  for (const char* k : {"ttft_s", "tpot_s", "decode_tokens_per_s", "decode_steps", "new_tokens", "prefill_tokens"}) {
    CAPTURE(k);
    CHECK(sum.find(k) == sum.end());
  }
  CHECK(sum.at("memory").as_object().find("kv_cache_bytes") == sum.at("memory").as_object().end());
  for (const char* f : {"report.json", "report.yaml", "report.md", "report.csv", "report.html"}) {
    CAPTURE(f);
    const auto hits = generation_words(without_layer_docs(f, read_file(out / f)));
    CAPTURE(hits.empty() ? std::string() : hits.front());
    CHECK(hits.empty());
  }
  const auto console = generation_words(p.out);
  CAPTURE(p.out);
  CHECK(console.empty());
}

TEST_CASE("vit-train: step time samples/s MFU and the memory breakdown of ViT-B/16 at batch 256") {
  const TempDir out;
  const auto p = run_process(
      {kHost, "run", "--plugin", "vit", "--workload", "vit-train", "--format", "json,md,html", "--out", out.path()});
  CAPTURE(p.err);
  REQUIRE(p.exit_code == 0);
  const auto j = boost::json::parse(read_file(out / "report.json"));
  CHECK(at(j, {"summary", "task"}).as_string() == "train");
  CHECK(at(j, {"summary", "samples"}).as_int64() == 256);
  const double P = 86567656.0;
  // Model FLOPs: 3 × forward = 3 × 256 × 35,127,656,448.
  CHECK(num(j, {"summary", "training", "model_flops"}) == 3 * 256 * 35127656448.0);
  CHECK(num(j, {"summary", "training", "parts", "forward", "tc_flops"}) == 256 * 35127656448.0);
  CHECK(at(j, {"summary", "training", "recompute"}).as_string() == "none");
  CHECK(at(j, {"summary", "training", "optimizer"}).as_string() == "adam");
  CHECK(num(j, {"summary", "training", "parts", "recompute", "tc_flops"}) == 0);
  CHECK(num(j, {"summary", "memory", "weights_bytes"}) == 2 * P);
  CHECK(num(j, {"summary", "memory", "gradients_bytes"}) == 2 * P);
  CHECK(num(j, {"summary", "memory", "optimizer_bytes"}) == 12 * P);
  // Saved activations, B·T = 256·197 = 50,432 rows, bf16, flash, no dropout: per layer B·T·(16h + 4i) + 4·B·a·T
  // = 50,432 × 24,624 = 1,241,837,568 (two LayerNorm inputs, the q/k/v input once, Q K V, the log-sum-exp, the dense
  // input, fc1's input, GELU's and fc2's inputs); 12 layers; outside them the image 2·256·3·224², the final
  // LayerNorm's input 2·B·T·h and the classifier's 2·B·h.
  const double BT = 256 * 197.0;
  const double per_layer = BT * (16 * 768 + 4 * 3072) + 4 * 256 * 12 * 197.0;
  CHECK(per_layer == 1241837568.0);
  const double outside = 2 * 256 * 3 * 224 * 224.0 + 2 * BT * 768 + 2 * 256 * 768.0;
  CHECK(num(j, {"summary", "memory", "activations_bytes"}) == 12 * per_layer + outside);
  CHECK(num(j, {"summary", "memory", "total_bytes"}) == 16 * P + 12 * per_layer + outside);
  const double step = num(j, {"summary", "step_time_s"});
  CHECK(step == doctest::Approx(num(j, {"summary", "training", "parts", "forward", "time_s"}) +
                                num(j, {"summary", "training", "parts", "backward", "time_s"}) +
                                num(j, {"summary", "training", "parts", "optimizer", "time_s"})));
  CHECK(num(j, {"summary", "samples_per_s"}) == doctest::Approx(256 / step));
  CHECK(num(j, {"summary", "mfu"}) == doctest::Approx(3 * 256 * 35127656448.0 / (step * 989.4e12)));
  for (const char* f : {"report.json", "report.md", "report.html"}) {
    CAPTURE(f);
    const auto hits = generation_words(without_layer_docs(f, read_file(out / f)));
    CAPTURE(hits.empty() ? std::string() : hits.front());
    CHECK(hits.empty());
  }
  const std::string md = read_file(out / "report.md");
  CHECK(md.find("model FLOPs utilisation (MFU)") != std::string::npos);
  CHECK(md.find("optimizer states") != std::string::npos);
  // Full recomputation: the layers' forward again, activations down to layer inputs plus one layer.
  const TempDir full;
  const auto pf = run_process({kHost, "run", "--plugin", "vit", "--workload", "vit-train", "--set",
                               "train.recompute=full", "--format", "json", "--out", full.path()});
  REQUIRE(pf.exit_code == 0);
  const auto jf = boost::json::parse(read_file(full / "report.json"));
  CHECK(num(jf, {"summary", "memory", "activations_bytes"}) == 12 * 2 * BT * 768 + outside + per_layer);
  CHECK(num(jf, {"summary", "training", "model_flops"}) == 3 * 256 * 35127656448.0);
  CHECK(num(jf, {"summary", "training", "hardware_flops"}) > num(j, {"summary", "training", "hardware_flops"}));
}

TEST_CASE("a task the plugin lacks is one line and exit 3") {
  {
    const auto p =
        run_process({kHost, "run", "--plugin", "vit", "--workload", "vit-forward", "--set", "task.kind=generate"});
    CHECK(p.exit_code == 3);
    CHECK(split_lines(p.err).size() == 1);
    CHECK(p.err.find("plugin 'vit' does not support task 'generate' (task.kind); it supports: forward, train") !=
          std::string::npos);
  }
  {  // a generation-only plugin (ABI 1.2 and older read as such) has no task.kind key at all
    const auto p = run_process(
        {kHost, "run", "--plugin", "example_transformer", "--workload", "example", "--set", "task.kind=forward"});
    CHECK(p.exit_code == 3);
    CHECK(split_lines(p.err).size() == 1);
    CHECK(
        p.err.find("plugin 'example_transformer' does not support task 'forward' (task.kind); it supports: generate") !=
        std::string::npos);
  }
  {  // no generation, no decode key
    const auto p =
        run_process({kHost, "run", "--plugin", "vit", "--workload", "vit-forward", "--set", "decode.max_new_tokens=4"});
    CHECK(p.exit_code == 3);
    CHECK(p.err.find("unknown key 'decode.max_new_tokens'") != std::string::npos);
  }
  {  // sweeps model generation only
    const TempDir out;
    const auto p = run_process({kHost, "sweep", "--plugin", "vit", "--workload", "vit-forward", "--vary",
                                "batch.size=1,2", "--out", out.path()});
    CAPTURE(p.err);
    CHECK(read_file(out / "sweep.csv").find("is modeled by 'modelmeter run' only") != std::string::npos);
  }
}

TEST_CASE("check-plugin builds the forward stage of vit") {
  const auto p =
      run_process({kHost, "check-plugin", std::string(MM_TEST_BINARY_DIR) + "/lib/modelmeter/plugins/vit.so"});
  CAPTURE(p.err);
  CHECK(p.exit_code == 0);
  CHECK(p.out.find("forward (") != std::string::npos);
}

TEST_CASE("llm-train: a Llama-2-7B training step through hf_decoder") {
  const TempDir out;
  const auto p = run_process({kHost, "run", "--plugin", "hf_decoder", "--model", "llama-2-7b", "--workload",
                              "llm-train", "--format", "json", "--out", out.path()});
  CAPTURE(p.err);
  REQUIRE(p.exit_code == 0);
  const auto j = boost::json::parse(read_file(out / "report.json"));
  CHECK(at(j, {"summary", "task"}).as_string() == "train");
  CHECK(at(j, {"summary", "tokens_per_sample"}).as_int64() == 4096);
  // docs/training.md: forward 58,524,298,117,120 FLOPs per 4096-token sequence (LM head on every position).
  CHECK(num(j, {"summary", "training", "model_flops"}) == 3 * 8 * 58524298117120.0);
  // Full recomputation: 2·s·b·h per layer kept, the final norm's and LM head's inputs, one layer rebuilt
  // (s·b·(16h + 8i) + 4·a·s·b at b = 8).
  const double s = 4096, b = 8, h = 4096, i = 11008, a = 32;
  const double per_layer = s * b * (16 * h + 8 * i) + 4 * a * s * b;
  CHECK(num(j, {"summary", "memory", "activations_bytes"}) == 32 * 2 * s * b * h + 4 * s * b * h + per_layer);
  const auto& mem = at(j, {"summary", "memory"}).as_object();
  CHECK(mem.find("kv_cache_bytes") == mem.end());
  CHECK(num(j, {"summary", "memory", "total_bytes"}) ==
        16 * 6738415616.0 + 32 * 2 * s * b * h + 4 * s * b * h + per_layer);
  CHECK_FALSE(at(j, {"summary", "memory", "fits"}).as_bool());                       // 108 GB of weight state alone
  CHECK(num(j, {"stages", "forward", "totals", "forward", "kv_cache_bytes"}) == 0);  // no cache in a forward pass
}
