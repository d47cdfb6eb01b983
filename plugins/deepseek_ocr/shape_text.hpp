// Formatting shared by the decoder and llama layers' shapes() lines (not a layer class).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace deepseek_ocr::shape_text {

// A count for a shapes() line: integers without a decimal point, expected (fractional) values with 6 digits.
inline std::string count(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

}  // namespace deepseek_ocr::shape_text
