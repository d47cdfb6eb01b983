#include "hf_attention.hpp"

#include "hf_rotary_embedding.hpp"
#include "hf_sliding_window_attention.hpp"

namespace hf_decoder {

HfAttention::HfAttention(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                         const modelmeter::blocks::AttentionPositions& shape) {
  namespace ops = modelmeter::ops;
  const double tokens = shape.tokens();  // T = B·q
  const uint64_t hidden = cfg.hidden_size;
  const uint64_t heads = cfg.num_attention_heads;
  const uint64_t kv_heads = cfg.num_key_value_heads;
  const uint64_t head_dim = cfg.head_dim;

  add_child("q_proj", ops::linear(ctx, tokens, hidden, heads * head_dim, cfg.qkv_bias));
  add_child("k_proj", ops::linear(ctx, tokens, hidden, kv_heads * head_dim, cfg.qkv_bias));
  add_child("v_proj", ops::linear(ctx, tokens, hidden, kv_heads * head_dim, cfg.qkv_bias));
  add_child("rotary_emb", modelmeter::make_layer<HfRotaryEmbedding>(ctx, tokens, heads, kv_heads, head_dim));

  ops::AttentionShape a;
  a.batch = shape.batch;
  a.heads = heads;
  a.kv_heads = kv_heads;
  a.head_dim = head_dim;
  a.query_len = shape.query_len;
  a.kv_len = shape.kv_len;
  a.causal = true;
  a.grows_per_step = shape.decode;
  a.writes_kv_cache = true;
  a.impl = shape.impl;
  if (cfg.sliding_window > 0) {
    add_child("attention", modelmeter::make_layer<HfSlidingWindowAttention>(ctx, a, cfg.sliding_window));
  } else {
    add_child("attention", ops::attention(ctx, a));
  }
  add_child("o_proj", ops::linear(ctx, tokens, heads * head_dim, hidden, cfg.o_bias));

  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " kv_len=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " hidden=" + std::to_string(hidden) + " heads=" + std::to_string(heads) +
            " kv_heads=" + std::to_string(kv_heads) + " head_dim=" + std::to_string(head_dim) +
            (cfg.qkv_bias ? " qkv_bias=yes" : "") +
            (cfg.sliding_window > 0 ? " sliding_window=" + std::to_string(cfg.sliding_window) : std::string()) +
            " impl=" + (shape.impl == MM_ATTENTION_EAGER ? "eager" : "flash");
}

}  // namespace hf_decoder
