// Formatting shared by the decoder and llama layers' shapes() lines (not a layer class).
#pragma once

#include <modelmeter/blocks.hpp>
#include <string>

namespace deepseek_ocr::shape_text {

// A count for a shapes() line: integers without a decimal point, expected (fractional) values with 6 digits.
inline std::string count(double value) {
  return modelmeter::blocks::count_text(value);
}

}  // namespace deepseek_ocr::shape_text
