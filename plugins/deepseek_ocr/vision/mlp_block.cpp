#include "vision/mlp_block.hpp"

#include "shape_text.hpp"

namespace deepseek_ocr {

MLPBlock::MLPBlock(const modelmeter::StageContext& ctx, const VisionConfig& v, double tokens) {
  namespace ops = modelmeter::ops;
  if (!(tokens > 0)) throw modelmeter::InvalidArgument("MLPBlock needs tokens > 0");
  add_child("lin1", ops::linear(ctx, tokens, v.sam_embed_dim, v.sam_mlp_dim, true));
  add_child("act", ops::gelu(ctx, tokens, v.sam_mlp_dim, false));
  add_child("lin2", ops::linear(ctx, tokens, v.sam_mlp_dim, v.sam_embed_dim, true));
  shapes_ = "tokens=" + shape_text::count(tokens) + " dim=" + std::to_string(v.sam_embed_dim) +
            " mlp_dim=" + std::to_string(v.sam_mlp_dim);
}

}  // namespace deepseek_ocr
