#include "decoder/deepseek_v2_rms_norm.hpp"

#include "shape_text.hpp"

namespace deepseek_ocr {

DeepseekV2RMSNorm::DeepseekV2RMSNorm(const modelmeter::StageContext& ctx, double tokens, uint64_t hidden) {
  add_child("rms_norm", modelmeter::ops::rms_norm(ctx, tokens, hidden));
  shapes_ = "tokens=" + shape_text::count(tokens) + " hidden=" + std::to_string(hidden);
}

}  // namespace deepseek_ocr
