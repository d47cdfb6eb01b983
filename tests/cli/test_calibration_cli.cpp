// `calibrate`, `validate` and --calibration through the real executable (docs/calibration.md).
#include <doctest/doctest.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/process.hpp"

using namespace mm_test;
namespace json = boost::json;

namespace {

const std::string kSource = MM_TEST_SOURCE_DIR;
const std::string kData = kSource + "/configs/calibrations/data/measured-llama2-7b.csv";

std::string pct(double f) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f%%", f * 100);
  return b;
}

ProcessResult mm(std::vector<std::string> args) {
  args.insert(args.begin(), MM_TEST_HOST);
  return run_process(args);
}

// The CSV's rows as column → value maps.
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& path) {
  const auto lines = split_lines(read_file(path));
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::vector<std::string> cells(1);
    for (const char ch : lines[i]) {
      if (ch == ',') {
        cells.emplace_back();
      } else if (ch != '\r') {
        cells.back() += ch;
      }
    }
    if (i == 0) {
      header = cells;
      continue;
    }
    std::map<std::string, std::string> r;
    for (std::size_t c = 0; c < header.size() && c < cells.size(); ++c) r[header[c]] = cells[c];
    rows.push_back(std::move(r));
  }
  return rows;
}

const json::object& find_module(const json::object& node, const std::string& id) {
  if (node.at("id").as_string() == id) return node;
  for (const auto& c : node.at("children").as_array()) {
    const json::object& child = c.as_object();
    const std::string cid(child.at("id").as_string());
    if (id.rfind(cid, 0) == 0) return find_module(child, id);
  }
  FAIL("no module " << id);
  return node;
}

}  // namespace

TEST_CASE("calibrate: refitting the shipped data writes the bundled calibration - byte for byte") {
  const TempDir dir;
  const ProcessResult r =
      mm({"calibrate", "--hardware", "h100-sxm", "--measured", kData, "--out", dir / "h100-sxm.toml"});
  CAPTURE(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("calibration for h100-sxm: 12348 rows, in-sample MAPE ") != std::string::npos);
  CHECK(read_file(dir / "h100-sxm.toml") == read_file(kSource + "/configs/calibrations/h100-sxm.toml"));
  // Deriving a100-40g from a100-80g gives the bundled derived file.
  const ProcessResult d = mm({"calibrate", "--hardware", "a100-40g", "--from", "a100-80g", "--out", dir / "a.toml"});
  REQUIRE(d.exit_code == 0);
  CHECK(read_file(dir / "a.toml") == read_file(kSource + "/configs/calibrations/a100-40g.toml"));
  // A GPU of another chip cannot be derived.
  const ProcessResult bad = mm({"calibrate", "--hardware", "h200", "--from", "a100-80g", "--out", dir / "b.toml"});
  CHECK(bad.exit_code == 3);
  CHECK(bad.err.find("sm_count differ (132 vs 108)") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir / "b.toml"));
}

TEST_CASE("validate: the errors in docs/calibration.md are what validate prints - in-sample and cross-validated") {
  const std::string doc = read_file(kSource + "/docs/calibration.md");
  const TempDir dir;
  std::map<std::string, json::object> by;
  for (const std::string scheme : {"", "tokens", "shapes"}) {
    std::vector<std::string> args = {"validate", "--measured", kData, "--json", dir / "v.json"};
    if (!scheme.empty()) args.insert(args.end(), {"--cross-validate", scheme});
    const ProcessResult r = mm(args);
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    by[scheme] = json::parse(read_file(dir / "v.json")).as_object();
    CHECK(by[scheme].at("rows").as_int64() == 26684);
    CHECK(r.out.find("worst rows:") != std::string::npos);
  }
  // The pure roofline: 55% on this file, as the issue measured it.
  CHECK(pct(by[""].at("roofline_mape").as_double()) == "54.8%");
  const std::string all_line = "| all | all | 26684 | " + pct(by[""].at("mape").as_double()) + " (";
  CHECK_MESSAGE(doc.find(all_line) != std::string::npos, all_line);
  const std::size_t at = doc.find(all_line);
  REQUIRE(at != std::string::npos);
  const std::string rest = doc.substr(at, doc.find('\n', at) - at);
  CHECK(rest.find(" | " + pct(by["tokens"].at("mape").as_double()) + " | " + pct(by["shapes"].at("mape").as_double()) +
                  " | 54.8% |") != std::string::npos);
  // Held-out shapes: the matmul target of ≤ 8% and the compute-kernel target of ≤ 10% (all but all_reduce).
  const json::object& ops = by["shapes"].at("by_op").as_object();
  CHECK(ops.at("matmul").at("mape").as_double() <= 0.08);
  double sum = 0, rows = 0;
  for (const auto& [op, v] : ops) {
    if (op == "all_reduce") continue;
    sum += v.at("mape").as_double() * static_cast<double>(v.at("rows").as_int64());
    rows += static_cast<double>(v.at("rows").as_int64());
  }
  CHECK(sum / rows <= 0.10);
}

TEST_CASE("validate and calibrate: bad measurement files are one-line errors naming file and line - nothing written") {
  const TempDir dir;
  write_file(dir / "bad.csv",
             "hardware,dtype,op,m,n,k,gpus,nodes,bytes,measured_us\nh100-sxm,fp16,add,8,4096,,,,,-3\n");
  const ProcessResult v = mm({"validate", "--measured", dir / "bad.csv", "--json", dir / "out.json"});
  CHECK(v.exit_code == 3);
  CHECK(v.err == "modelmeter: error: " + (dir / "bad.csv") + ":2: column 'measured_us': '-3' must be > 0\n");
  CHECK_FALSE(std::filesystem::exists(dir / "out.json"));
  write_file(dir / "hw.csv", "hardware,dtype,op,m,n,k,gpus,nodes,bytes,measured_us\nl40s,fp16,add,8,4096,,,,,3\n");
  const ProcessResult h = mm({"validate", "--measured", dir / "hw.csv"});
  CHECK(h.exit_code == 3);
  CHECK(h.err.find(dir / "hw.csv" + ":2: hardware 'l40s' has no bundled calibration") != std::string::npos);
  const ProcessResult c =
      mm({"calibrate", "--hardware", "h100-sxm", "--measured", dir / "bad.csv", "--out", dir / "c.toml"});
  CHECK(c.exit_code == 3);
  CHECK_FALSE(std::filesystem::exists(dir / "c.toml"));
}

TEST_CASE("run --calibration: none keeps the roofline - the default calibrates - conflicts are refused") {
  const TempDir dir;
  const ProcessResult cal =
      mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--format", "json", "--out", dir / "cal"});
  const ProcessResult none = mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--calibration", "none",
                                 "--format", "json", "--out", dir / "none"});
  REQUIRE(cal.exit_code == 0);
  REQUIRE(none.exit_code == 0);
  const json::object c = json::parse(read_file(dir / "cal/report.json")).as_object();
  const json::object n = json::parse(read_file(dir / "none/report.json")).as_object();
  CHECK(c.at("summary").at("time_model").as_string() == "calibrated:h100-sxm");
  CHECK(n.at("summary").at("time_model").as_string() == "roofline");
  for (const char* st : {"vision", "prefill", "decode"}) {
    CAPTURE(st);
    const auto& cs = c.at("summary").at("stages").at(st);
    const auto& ns = n.at("summary").at("stages").at(st);
    CHECK(ns.at("time_s") == ns.at("roofline_time_s"));  // none: the roofline, keys only added
    CHECK(cs.at("roofline_time_s") == ns.at("time_s"));  // the calibrated run keeps the roofline beside
    CHECK(cs.at("time_s").as_double() > cs.at("roofline_time_s").as_double());
    CHECK(cs.at("tc_flops") == ns.at("tc_flops"));
  }
  // A calibration of another GPU, or one next to [efficiency] factors, is refused.
  const ProcessResult other = mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--hardware", "h100-sxm",
                                  "--calibration", "a100-80g", "--out", dir / "x"});
  CHECK(other.exit_code == 3);
  CHECK(other.err.find("calibration 'a100-80g'") != std::string::npos);
  CHECK(other.err.find("was fitted for hardware 'a100-80g', not 'h100-sxm'") != std::string::npos);
  std::string hw = read_file(kSource + "/configs/hardware/h100-sxm.toml");
  hw.replace(hw.find("tensor_core = 1.0"), 17, "tensor_core = 0.8");
  write_file(dir / "h100-sxm.toml", hw);
  const ProcessResult eff = mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--hardware",
                                dir / "h100-sxm.toml", "--calibration", "h100-sxm", "--out", dir / "y"});
  CHECK(eff.exit_code == 3);
  CHECK(eff.err.find("a calibration replaces them") != std::string::npos);
  // Without an explicit calibration, a profile with efficiency factors stays a roofline with them.
  const ProcessResult plain = mm({"run", "--plugin", "deepseek_ocr", "--workload", "std-v1", "--hardware",
                                  dir / "h100-sxm.toml", "--format", "json", "--out", dir / "z"});
  REQUIRE(plain.exit_code == 0);
  CHECK(json::parse(read_file(dir / "z/report.json")).at("summary").at("time_model").as_string() == "roofline");
  CHECK_FALSE(std::filesystem::exists(dir / "x"));
  CHECK_FALSE(std::filesystem::exists(dir / "y"));
}

TEST_CASE("kernels - not ops: one Llama-2-7B layer predicts the sum of its measured kernels at several sizes and TP") {
  // One decoder layer's kernels on h100-sxm, each TP shard as its own config.json, against the measured
  // kernels of the same shard: fused QKV, o, fused gate+up, down, SiLU-and-multiply, 2 RMSNorms, rotary, 2 adds.
  const auto rows = csv_rows(kData);
  const TempDir dir;
  std::string base = read_file(kSource + "/configs/models/llama-2-7b.json");
  for (const auto& point :
       std::vector<std::pair<int, int>>{{64, 1}, {512, 2}, {1024, 4}, {2048, 8}, {4096, 1}}) {
    // Plain copies: clang 14 cannot capture structured bindings in CAPTURE's lambda.
    const int tokens = point.first;
    const int tp = point.second;
    CAPTURE(tokens);
    CAPTURE(tp);
    json::object cfg = json::parse(base).as_object();
    cfg["num_hidden_layers"] = 1;
    cfg["num_attention_heads"] = 32 / tp;
    cfg["num_key_value_heads"] = 32 / tp;
    cfg["head_dim"] = 128;
    cfg["intermediate_size"] = 11008 / tp;
    const std::string file = dir / ("tp" + std::to_string(tp) + ".json");
    write_file(file, json::serialize(cfg));
    const std::string out = dir / ("out" + std::to_string(tokens));
    const ProcessResult r = mm({"run", "--plugin", "hf_decoder", "--model", file, "--workload", "llm-1024", "--set",
                                "prompt.text_tokens=" + std::to_string(tokens), "--set", "decode.max_new_tokens=1",
                                "--format", "json", "--out", out});
    CAPTURE(r.err);
    REQUIRE(r.exit_code == 0);
    const json::object report = json::parse(read_file(out + "/report.json")).as_object();
    const json::object& root = report.at("stages").at("prefill").at("modules").as_object();
    const double layer = find_module(root, "model.layers.0").at("time_s").as_double() -
                         find_module(root, "model.layers.0.self_attn.attention").at("time_s").as_double();
    // Measured: the rows of this token count and TP degree (norms and adds repeat the same shape at every TP).
    const std::string tag = " tp" + std::to_string(tp) + " ";
    double measured = 0;
    int kernels = 0;
    for (const auto& row : rows) {
      const auto get = [&](const char* key) {
        const auto it = row.find(key);
        return it == row.end() ? std::string() : it->second;
      };
      if (get("hardware") != "h100-sxm" || get("m") != std::to_string(tokens)) continue;
      if (get("source").find(tag) == std::string::npos || get("source").find(" emb") != std::string::npos) continue;
      const double us = std::stod(get("measured_us"));
      measured += get("op") == "add" ? 2 * us : us;  // one add row stands for both residual adds
      kernels += get("op") == "add" ? 2 : 1;
    }
    REQUIRE(kernels == 10);
    MESSAGE("layer at " << tokens << " tokens, TP " << tp << ": predicted " << layer * 1e6 << " us, measured "
                        << measured << " us");
    CHECK(layer * 1e6 == doctest::Approx(measured).epsilon(0.10));
  }
}
