#include "hf_mlp.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>

namespace hf_decoder {

HfMLP::HfMLP(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double tokens, bool bias,
             uint64_t groups, double groups_touched, uint64_t tp, bool reduce) {
  if (hidden == 0 || intermediate == 0) throw modelmeter::InvalidArgument("HfMLP needs hidden, intermediate > 0");
  for (auto& c :
       modelmeter::blocks::swiglu_mlp(ctx, hidden, intermediate, tokens, groups, groups_touched, bias, tp, reduce)) {
    add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
  }
  using modelmeter::blocks::count_text;
  shapes_ = "tokens=" + count_text(tokens) + " hidden=" + std::to_string(hidden) +
            " intermediate=" + std::to_string(intermediate) + (bias ? " bias=yes" : "");
  if (groups > 1) {
    shapes_ += " groups=" + std::to_string(groups) +
               " touched=" + count_text(groups_touched > 0 ? groups_touched : static_cast<double>(groups));
  }
  if (tp > 1) shapes_ += " tp=" + std::to_string(tp);
}

}  // namespace hf_decoder
