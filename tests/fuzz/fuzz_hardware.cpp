// libFuzzer target: a hardware profile through parse_hardware (TOML parsing and strict validation).
// Rejection must be an InputError; an accepted profile must hold only finite, positive figures and
// efficiencies in (0, 1], since every roofline time divides by them.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/hardware.hpp>
#include <string>

namespace {

void check_positive(double v) {
  if (!std::isfinite(v) || !(v > 0)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const modelmeter::core::Hardware hw = modelmeter::core::parse_hardware(text, "fuzz-hw.toml");
    for (const auto& peak : hw.tensor_peak)
      if (peak) check_positive(*peak);
    for (double v : {hw.cuda_fp32_peak, hw.bandwidth, hw.capacity, hw.eff_tensor, hw.eff_cuda, hw.eff_memory}) {
      check_positive(v);
    }
    for (double e : {hw.eff_tensor, hw.eff_cuda, hw.eff_memory})
      if (e > 1) std::abort();
    if (hw.id != "fuzz-hw") std::abort();
    for (int t = 0; t < 6; ++t) {  // every dtype either has a usable peak or is refused with a message
      try {
        check_positive(hw.tensor_peak_for(static_cast<mm_dtype>(t)));
      } catch (const modelmeter::core::InputError&) {
      }
    }
  } catch (const modelmeter::core::InputError& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
