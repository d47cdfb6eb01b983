#include "transformer_block.hpp"

#include "feed_forward.hpp"
#include "self_attention.hpp"

namespace example {

TransformerBlock::TransformerBlock(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  add_child("input_norm", ops::rms_norm(ctx, s.tokens(), cfg.hidden));
  add_child("attn", modelmeter::make_layer<SelfAttention>(ctx, cfg, s));
  add_child("residual_1", ops::add(ctx, s.tokens(), cfg.hidden));
  add_child("post_norm", ops::rms_norm(ctx, s.tokens(), cfg.hidden));
  add_child("mlp", modelmeter::make_layer<FeedForward>(ctx, cfg, s));
  add_child("residual_2", ops::add(ctx, s.tokens(), cfg.hidden));
}

}  // namespace example
