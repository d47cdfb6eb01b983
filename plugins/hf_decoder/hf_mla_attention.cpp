#include "hf_mla_attention.hpp"

#include <utility>

#include "hf_rms_norm.hpp"
#include "hf_rotary_embedding.hpp"

namespace hf_decoder {

HfMlaAttention::HfMlaAttention(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                               const modelmeter::blocks::AttentionPositions& shape) {
  const modelmeter::blocks::MlaDims dims{cfg.hidden_size,  cfg.num_attention_heads, cfg.q_lora_rank,
                                         cfg.kv_lora_rank, cfg.qk_rope_head_dim,    cfg.qk_nope_head_dim,
                                         cfg.v_head_dim};
  auto norm = [&](double tokens, uint64_t width) { return modelmeter::make_layer<HfRMSNorm>(ctx, tokens, width); };
  auto rotary = [&](double tokens, uint64_t q_heads, uint64_t k_heads, uint64_t dim) {
    return modelmeter::make_layer<HfRotaryEmbedding>(ctx, tokens, q_heads, k_heads, dim);
  };
  const uint64_t tp = modelmeter::blocks::sharding(ctx).tp;
  for (auto& c : modelmeter::blocks::mla_attention(ctx, dims, shape, "HfMlaAttention", norm, rotary, tp)) {
    add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
  }
  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " kv_len=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " hidden=" + std::to_string(cfg.hidden_size) + " heads=" + std::to_string(cfg.num_attention_heads) +
            " q_lora_rank=" + std::to_string(cfg.q_lora_rank) + " kv_lora_rank=" + std::to_string(cfg.kv_lora_rank) +
            " nope=" + std::to_string(cfg.qk_nope_head_dim) + " rope=" + std::to_string(cfg.qk_rope_head_dim) +
            " v_head_dim=" + std::to_string(cfg.v_head_dim) +
            " impl=" + (shape.impl == MM_ATTENTION_EAGER ? "eager" : "flash") +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string());
}

}  // namespace hf_decoder
