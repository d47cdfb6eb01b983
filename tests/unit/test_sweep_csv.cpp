// sweep.csv streamed by core (append_sweep_csv_row) must be byte for byte what the csv writer plugin makes of the
// sweep document: the CLI streams it, the writer writes it for the same rows elsewhere (and did before streaming).
#include <doctest/doctest.h>

#include <cmath>
#include <modelmeter/core/output.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/sweep.hpp>
#include <string>
#include <vector>

using namespace modelmeter::core;

namespace {

// Renders `doc` with the bundled csv writer and returns sweep.csv's content.
std::string writer_csv(const Plugin& writer, const mm_doc* doc) {
  mm_output out;
  mm_error err{};
  REQUIRE(writer.info().write(doc, &out, &err) == MM_OK);
  REQUIRE(out.files.size() == 1);
  CHECK(out.files[0].first == "sweep.csv");
  return out.files[0].second;
}

}  // namespace

TEST_CASE("append_sweep_csv_row writes exactly what the csv writer writes for the same sweep rows") {
  const auto writer = Plugin::load(MM_CSV_WRITER);
  SweepRequest req;
  req.plugin = writer;  // build_sweep_doc names the plugin in the document's header only
  req.inputs.workload_name = "std-v1";
  req.vary = {Vary{"decode.max_new_tokens", {"1", "2"}}, Vary{"vision.grid", {"[2,2]", "[2,3]"}}};
  req.hardware.resize(1);

  std::vector<SweepPoint> points;
  SweepPoint full;
  full.values = {"256", "[2,2]"};  // a comma inside: quoted
  full.hardware = "h100-sxm";
  full.feasible = true;
  SweepFigures f;
  f.vision_tokens = 903;
  f.prefill_tokens = 913;
  f.decode_steps = 255;
  f.stages[0] = 3468866060288.0;         // whole: an integer
  f.stages[1] = 24538887184.5;           // a fraction
  f.stages[2] = 0.015325479360707798;    // shortest round trip
  f.stages[3] = 1.5e-05;                 // exponent form
  f.stages[4] = 14465882246874.078;      // large with a fraction
  f.stages[5] = 9007199254740992.0 * 4;  // whole but past 2^53: to_chars
  f.stages[6] = -2.0;                    // negative whole
  f.ttft_s = 0.01951605975605097;
  f.tpot_s = std::nullopt;  // null: empty
  f.decode_tokens_per_s = 18594.59482143971;
  f.weights_bytes = 6672212480.0;
  f.kv_cache_bytes = 0.0;
  f.activations_peak_bytes = 427819008.0;
  f.fits = true;
  full.figures = f;
  points.push_back(full);

  SweepPoint no_fit = full;
  no_fit.feasible = false;
  no_fit.reason = "does not fit: 90.1 GB needed, 80 GB on \"h100\", really";  // quotes and a comma
  no_fit.figures->fits = false;
  points.push_back(no_fit);

  SweepPoint unknown_fit = full;
  unknown_fit.figures->fits = std::nullopt;
  unknown_fit.values = {"2", "line\nbreak"};
  points.push_back(unknown_fit);

  SweepPoint rejected;
  rejected.values = {"99999", "[2,3]"};
  rejected.hardware = "a100-40g";
  rejected.reason = "exceeds the model's maximum of 8192 positions";
  points.push_back(rejected);

  for (const bool interrupted : {false, true}) {
    CAPTURE(interrupted);
    auto doc = build_sweep_doc(req, points, interrupted, "0.0.0-test");
    const std::string expected = writer_csv(*writer, doc->freeze());
    std::string streamed = sweep_csv_header(req);
    for (const SweepPoint& p : points) append_sweep_csv_row(streamed, p);
    if (interrupted) streamed += kSweepCsvPartialMarker;
    CHECK(streamed == expected);
  }
  std::string one;
  append_sweep_csv_row(one, rejected);
  CHECK(one == "99999,\"[2,3]\",a100-40g,false,exceeds the model's maximum of 8192 positions,,,,,,,,,,,,,,,,,,,\n");
}
