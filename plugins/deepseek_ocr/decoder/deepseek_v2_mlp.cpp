#include "decoder/deepseek_v2_mlp.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>

#include "shape_text.hpp"

namespace deepseek_ocr {

DeepseekV2MLP::DeepseekV2MLP(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double tokens,
                             uint64_t groups, double groups_touched, uint64_t tp, bool reduce) {
  if (hidden == 0 || intermediate == 0)
    throw modelmeter::InvalidArgument("DeepseekV2MLP needs hidden, intermediate > 0");
  for (auto& c :
       modelmeter::blocks::swiglu_mlp(ctx, hidden, intermediate, tokens, groups, groups_touched, false, tp, reduce)) {
    add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
  }

  shapes_ = "tokens=" + shape_text::count(tokens) + " hidden=" + std::to_string(hidden) +
            " intermediate=" + std::to_string(intermediate);
  if (groups > 1) {
    shapes_ += " groups=" + std::to_string(groups) +
               " touched=" + shape_text::count(groups_touched > 0 ? groups_touched : static_cast<double>(groups));
  }
  if (tp > 1) shapes_ += " tp=" + std::to_string(tp);
}

}  // namespace deepseek_ocr
