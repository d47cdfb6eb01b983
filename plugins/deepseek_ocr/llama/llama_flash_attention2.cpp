#include "llama/llama_flash_attention2.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>

#include "llama/llama_rotary_embedding.hpp"

namespace deepseek_ocr {

LlamaFlashAttention2::LlamaFlashAttention2(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                           const DecoderShape& shape) {
  namespace ops = modelmeter::ops;
  if (cfg.num_attention_heads == 0 || cfg.num_key_value_heads == 0 || cfg.hidden_size % cfg.num_attention_heads != 0) {
    throw modelmeter::InvalidArgument("LlamaFlashAttention2 needs heads and KV heads > 0 that divide hidden_size");
  }
  const uint64_t hidden = cfg.hidden_size;
  const uint64_t heads = cfg.num_attention_heads;
  const uint64_t kv_heads = cfg.num_key_value_heads;
  const uint64_t head_dim = cfg.head_dim();
  const modelmeter::blocks::GqaDims dims{hidden, heads, kv_heads, head_dim};
  const modelmeter::blocks::AttentionPositions at{shape.batch, shape.query_len, shape.kv_len, shape.decode, shape.impl};
  auto rotary = [&](double tokens, uint64_t q_heads, uint64_t k_heads, uint64_t dim) {
    return modelmeter::make_layer<LlamaRotaryEmbedding>(ctx, tokens, q_heads, k_heads, dim);
  };
  auto core = [&](const ops::AttentionShape& a) { return ops::attention(ctx, a); };
  const uint64_t tp = modelmeter::blocks::sharding(ctx).tp;  // the decoder is tensor-parallel (docs/parallelism.md)
  for (auto& c : modelmeter::blocks::gqa_attention(ctx, dims, at, rotary, core, tp)) {
    add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
  }

  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " kv_len=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " hidden=" + std::to_string(hidden) + " heads=" + std::to_string(heads) +
            " kv_heads=" + std::to_string(kv_heads) + " head_dim=" + std::to_string(head_dim) +
            " impl=" + (shape.impl == MM_ATTENTION_EAGER ? "eager" : "flash") +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string());
}

}  // namespace deepseek_ocr
