#include "decoder/deepseek_v2_mlp.hpp"

#include "shape_text.hpp"

namespace deepseek_ocr {

DeepseekV2MLP::DeepseekV2MLP(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double tokens,
                             uint64_t groups, double groups_touched) {
  namespace ops = modelmeter::ops;
  if (hidden == 0 || intermediate == 0)
    throw modelmeter::InvalidArgument("DeepseekV2MLP needs hidden, intermediate > 0");
  add_child("gate_proj", ops::linear(ctx, tokens, hidden, intermediate, false, groups, groups_touched));
  add_child("up_proj", ops::linear(ctx, tokens, hidden, intermediate, false, groups, groups_touched));
  add_child("act_fn", ops::silu(ctx, tokens, intermediate));
  add_child("mul", ops::mul(ctx, tokens, intermediate));
  add_child("down_proj", ops::linear(ctx, tokens, intermediate, hidden, false, groups, groups_touched));

  shapes_ = "tokens=" + shape_text::count(tokens) + " hidden=" + std::to_string(hidden) +
            " intermediate=" + std::to_string(intermediate);
  if (groups > 1) {
    shapes_ += " groups=" + std::to_string(groups) +
               " touched=" + shape_text::count(groups_touched > 0 ? groups_touched : static_cast<double>(groups));
  }
}

}  // namespace deepseek_ocr
