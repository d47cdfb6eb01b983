#include "vit_attention.hpp"

namespace vit {

VitAttention::VitAttention(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape) {
  namespace ops = modelmeter::ops;
  const double rows = shape.rows();
  const uint64_t h = cfg.hidden_size;
  add_child("query", ops::linear(ctx, rows, h, h, cfg.qkv_bias), 1, {}, "qkv");
  add_child("key", ops::linear(ctx, rows, h, h, cfg.qkv_bias), 1, {}, "qkv");
  add_child("value", ops::linear(ctx, rows, h, h, cfg.qkv_bias), 1, {}, "qkv");
  ops::AttentionShape a;
  a.batch = shape.images;
  a.heads = cfg.num_attention_heads;
  a.head_dim = cfg.head_dim();
  a.query_len = shape.tokens;
  a.kv_len = shape.tokens;
  a.causal = false;
  a.writes_kv_cache = false;
  a.impl = ctx.attention();
  add_child("attention", ops::attention(ctx, a));
  add_child("dense", ops::linear(ctx, rows, h, h, true));
  shapes_ = "images=" + std::to_string(shape.images) + " tokens=" + std::to_string(shape.tokens) +
            " hidden=" + std::to_string(h) + " heads=" + std::to_string(cfg.num_attention_heads) +
            " head_dim=" + std::to_string(cfg.head_dim()) + " qkv_bias=" + (cfg.qkv_bias ? "yes" : "no");
}

}  // namespace vit
