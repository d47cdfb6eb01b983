#include "hf_attention.hpp"

#include <utility>

#include "hf_rotary_embedding.hpp"
#include "hf_sliding_window_attention.hpp"

namespace hf_decoder {

HfAttention::HfAttention(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                         const modelmeter::blocks::AttentionPositions& shape) {
  const uint64_t hidden = cfg.hidden_size;
  const uint64_t heads = cfg.num_attention_heads;
  const uint64_t kv_heads = cfg.num_key_value_heads;
  const uint64_t head_dim = cfg.head_dim;
  const modelmeter::blocks::GqaDims dims{hidden, heads, kv_heads, head_dim, cfg.qkv_bias, cfg.o_bias};
  auto rotary = [&](double tokens, uint64_t q_heads, uint64_t k_heads, uint64_t dim) {
    return modelmeter::make_layer<HfRotaryEmbedding>(ctx, tokens, q_heads, k_heads, dim);
  };
  // Mistral: the context is capped at the sliding window.
  auto core = [&](const modelmeter::ops::AttentionShape& a) {
    return cfg.sliding_window > 0 ? modelmeter::make_layer<HfSlidingWindowAttention>(ctx, a, cfg.sliding_window)
                                  : modelmeter::ops::attention(ctx, a);
  };
  const uint64_t tp = modelmeter::blocks::sharding(ctx).tp;
  for (auto& c : modelmeter::blocks::gqa_attention(ctx, dims, shape, rotary, core, tp)) {
    add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
  }

  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " kv_len=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " hidden=" + std::to_string(hidden) + " heads=" + std::to_string(heads) +
            " kv_heads=" + std::to_string(kv_heads) + " head_dim=" + std::to_string(head_dim) +
            (cfg.qkv_bias ? " qkv_bias=yes" : "") +
            (cfg.sliding_window > 0 ? " sliding_window=" + std::to_string(cfg.sliding_window) : std::string()) +
            " impl=" + (shape.impl == MM_ATTENTION_EAGER ? "eager" : "flash") +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string());
}

}  // namespace hf_decoder
