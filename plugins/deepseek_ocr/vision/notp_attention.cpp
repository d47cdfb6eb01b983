#include "vision/notp_attention.hpp"

namespace deepseek_ocr {

NoTPAttention::NoTPAttention(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images,
                             uint64_t seq_len) {
  namespace ops = modelmeter::ops;
  if (images == 0 || seq_len == 0) throw modelmeter::InvalidArgument("NoTPAttention needs images and seq_len > 0");
  if (v.clip_heads == 0 || v.clip_hidden % v.clip_heads != 0) {
    throw modelmeter::InvalidArgument("NoTPAttention needs clip_heads > 0 dividing clip_hidden = " +
                                      std::to_string(v.clip_hidden));
  }
  const double tokens = static_cast<double>(images * seq_len);  // T = B·N
  const uint64_t hidden = v.clip_hidden;
  add_child("qkv_proj", ops::linear(ctx, tokens, hidden, 3 * hidden, true));
  ops::AttentionShape a;
  a.batch = images;
  a.heads = v.clip_heads;
  a.head_dim = hidden / v.clip_heads;
  a.query_len = seq_len;
  a.kv_len = seq_len;
  a.causal = false;
  a.impl = ctx.attention();
  add_child("sdpa", ops::attention(ctx, a));
  add_child("out_proj", ops::linear(ctx, tokens, hidden, hidden, true));
  shapes_ = "images=" + std::to_string(images) + " seq_len=" + std::to_string(seq_len) +
            " hidden=" + std::to_string(hidden) + " heads=" + std::to_string(v.clip_heads) +
            " head_dim=" + std::to_string(a.head_dim) + " impl=" + (a.impl == MM_ATTENTION_EAGER ? "eager" : "flash");
}

}  // namespace deepseek_ocr
