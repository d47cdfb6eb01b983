#include "self_attention.hpp"

namespace example {

SelfAttention::SelfAttention(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  for (const char* proj : {"q_proj", "k_proj", "v_proj"}) {
    add_child(proj, ops::linear(ctx, s.tokens(), cfg.hidden, cfg.hidden, false));
  }
  ops::AttentionShape a;
  a.batch = s.batch;
  a.heads = cfg.heads;
  a.head_dim = cfg.head_dim();
  a.query_len = s.query_len;
  a.kv_len = s.kv_len;
  a.causal = true;
  a.grows_per_step = s.decode;
  a.writes_kv_cache = true;
  a.impl = ctx.attention();
  add_child("attn", ops::attention(ctx, a));
  add_child("o_proj", ops::linear(ctx, s.tokens(), cfg.hidden, cfg.hidden, false));
  shapes_ = "tokens=" + std::to_string(s.batch * s.query_len) + " hidden=" + std::to_string(cfg.hidden) +
            " heads=" + std::to_string(cfg.heads) + " context=" + std::to_string(s.kv_len);
}

}  // namespace example
