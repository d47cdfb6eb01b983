#include "vision/mlp_projector.hpp"

#include "shape_text.hpp"

namespace deepseek_ocr {

MlpProjector::MlpProjector(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t hidden_size,
                           double tokens) {
  if (!(tokens > 0) || hidden_size == 0) {
    throw modelmeter::InvalidArgument("MlpProjector needs tokens > 0 and hidden_size > 0");
  }
  add_child("layers", modelmeter::ops::linear(ctx, tokens, v.projector_in, hidden_size, true));
  shapes_ = "tokens=" + shape_text::count(tokens) + " in=" + std::to_string(v.projector_in) +
            " out=" + std::to_string(hidden_size) + " type=linear";
}

}  // namespace deepseek_ocr
