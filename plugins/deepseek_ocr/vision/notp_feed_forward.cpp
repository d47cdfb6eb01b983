#include "vision/notp_feed_forward.hpp"

#include "shape_text.hpp"

namespace deepseek_ocr {

NoTPFeedForward::NoTPFeedForward(const modelmeter::StageContext& ctx, const VisionConfig& v, double tokens) {
  namespace ops = modelmeter::ops;
  if (!(tokens > 0)) throw modelmeter::InvalidArgument("NoTPFeedForward needs tokens > 0");
  add_child("fc1", ops::linear(ctx, tokens, v.clip_hidden, v.clip_ffn, true));
  add_child("act", ops::gelu(ctx, tokens, v.clip_ffn, true));
  add_child("fc2", ops::linear(ctx, tokens, v.clip_ffn, v.clip_hidden, true));
  shapes_ = "tokens=" + shape_text::count(tokens) + " hidden=" + std::to_string(v.clip_hidden) +
            " ffn=" + std::to_string(v.clip_ffn);
}

}  // namespace deepseek_ocr
