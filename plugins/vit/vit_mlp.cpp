#include "vit_mlp.hpp"

#include <modelmeter/blocks.hpp>

namespace vit {

VitMlp::VitMlp(const modelmeter::StageContext& ctx, uint64_t hidden, uint64_t intermediate, double rows) {
  namespace ops = modelmeter::ops;
  add_child("intermediate", ops::linear(ctx, rows, hidden, intermediate, true));
  add_child("act", ops::gelu(ctx, rows, intermediate));
  add_child("output", ops::linear(ctx, rows, intermediate, hidden, true));
  shapes_ = "tokens=" + modelmeter::blocks::count_text(rows) + " hidden=" + std::to_string(hidden) +
            " intermediate=" + std::to_string(intermediate);
}

}  // namespace vit
