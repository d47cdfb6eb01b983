#include "vision/notp_transformer_block.hpp"

#include "vision/notp_attention.hpp"
#include "vision/notp_feed_forward.hpp"

namespace deepseek_ocr {

NoTPTransformerBlock::NoTPTransformerBlock(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images,
                                           uint64_t seq_len) {
  namespace ops = modelmeter::ops;
  if (images == 0 || seq_len == 0) {
    throw modelmeter::InvalidArgument("NoTPTransformerBlock needs images and seq_len > 0");
  }
  const double tokens = static_cast<double>(images * seq_len);  // T = B·N
  add_child("layer_norm1", ops::layer_norm(ctx, tokens, v.clip_hidden, true));
  add_child("self_attn", modelmeter::make_layer<NoTPAttention>(ctx, v, images, seq_len));
  add_child("residual_1", ops::add(ctx, tokens, v.clip_hidden));
  add_child("layer_norm2", ops::layer_norm(ctx, tokens, v.clip_hidden, true));
  add_child("mlp", modelmeter::make_layer<NoTPFeedForward>(ctx, v, tokens));
  add_child("residual_2", ops::add(ctx, tokens, v.clip_hidden));
  shapes_ = "images=" + std::to_string(images) + " seq_len=" + std::to_string(seq_len) +
            " hidden=" + std::to_string(v.clip_hidden);
}

}  // namespace deepseek_ocr
