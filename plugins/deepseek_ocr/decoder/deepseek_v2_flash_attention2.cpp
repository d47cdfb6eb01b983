#include "decoder/deepseek_v2_flash_attention2.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>

#include "decoder/deepseek_v2_rms_norm.hpp"
#include "llama/llama_rotary_embedding.hpp"

namespace deepseek_ocr {

DeepseekV2FlashAttention2::DeepseekV2FlashAttention2(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                                     const DecoderShape& shape) {
  const uint64_t hidden = cfg.hidden_size;
  const uint64_t heads = cfg.num_attention_heads;
  const uint64_t nope = cfg.qk_nope_head_dim;
  const uint64_t rope = cfg.qk_rope_head_dim;
  const uint64_t latent = cfg.kv_lora_rank;  // c
  const uint64_t v_dim = cfg.v_head_dim;
  const modelmeter::blocks::MlaDims dims{hidden, heads, cfg.q_lora_rank, latent, rope, nope, v_dim};
  const modelmeter::blocks::AttentionPositions at{shape.batch, shape.query_len, shape.kv_len, shape.decode, shape.impl};
  auto norm = [&](double tokens, uint64_t width) {
    return modelmeter::make_layer<DeepseekV2RMSNorm>(ctx, tokens, width);
  };
  auto rotary = [&](double tokens, uint64_t q_heads, uint64_t k_heads, uint64_t dim) {
    return modelmeter::make_layer<LlamaRotaryEmbedding>(ctx, tokens, q_heads, k_heads, dim);
  };
  const uint64_t tp = modelmeter::blocks::sharding(ctx).tp;
  for (auto& c : modelmeter::blocks::mla_attention(ctx, dims, at, "DeepseekV2FlashAttention2", norm, rotary, tp)) {
    add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
  }

  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " kv_len=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " hidden=" + std::to_string(hidden) + " heads=" + std::to_string(heads) +
            " q_lora_rank=" + std::to_string(cfg.q_lora_rank) + " kv_lora_rank=" + std::to_string(latent) +
            " nope=" + std::to_string(nope) + " rope=" + std::to_string(rope) + " v_head_dim=" + std::to_string(v_dim) +
            " impl=" + (shape.impl == MM_ATTENTION_EAGER ? "eager" : "flash") +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string());
}

}  // namespace deepseek_ocr
