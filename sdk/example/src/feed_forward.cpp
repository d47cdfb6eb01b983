#include "feed_forward.hpp"

namespace example {

FeedForward::FeedForward(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  add_child("up", ops::linear(ctx, s.tokens(), cfg.hidden, cfg.ffn, true));
  add_child("act", ops::gelu(ctx, s.tokens(), cfg.ffn));
  add_child("down", ops::linear(ctx, s.tokens(), cfg.ffn, cfg.hidden, true));
}

}  // namespace example
