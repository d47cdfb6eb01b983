#include "decoder/deepseek_v2_flash_attention2.hpp"

#include "decoder/deepseek_v2_rms_norm.hpp"
#include "llama/llama_rotary_embedding.hpp"

namespace deepseek_ocr {

DeepseekV2FlashAttention2::DeepseekV2FlashAttention2(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                                     const DecoderShape& shape) {
  namespace ops = modelmeter::ops;
  if (cfg.num_attention_heads == 0 || cfg.kv_lora_rank == 0 || cfg.qk_rope_head_dim == 0 || cfg.qk_nope_head_dim == 0 ||
      cfg.v_head_dim == 0) {
    throw modelmeter::InvalidArgument(
        "DeepseekV2FlashAttention2 (MLA) needs heads, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and "
        "v_head_dim > 0");
  }
  const double tokens = shape.tokens();  // T = B·q
  const uint64_t hidden = cfg.hidden_size;
  const uint64_t heads = cfg.num_attention_heads;
  const uint64_t nope = cfg.qk_nope_head_dim;
  const uint64_t rope = cfg.qk_rope_head_dim;
  const uint64_t latent = cfg.kv_lora_rank;  // c
  const uint64_t v_dim = cfg.v_head_dim;
  const uint64_t q_width = heads * (nope + rope);                // H·(d_n + d_r)
  const double head_rows = tokens * static_cast<double>(heads);  // T·H rows of the per-head absorbed GEMMs

  if (cfg.q_lora_rank == 0) {
    add_child("q_proj", ops::linear(ctx, tokens, hidden, q_width, false));
  } else {
    add_child("q_a_proj", ops::linear(ctx, tokens, hidden, cfg.q_lora_rank, false));
    add_child("q_a_layernorm", modelmeter::make_layer<DeepseekV2RMSNorm>(ctx, tokens, cfg.q_lora_rank));
    add_child("q_b_proj", ops::linear(ctx, tokens, cfg.q_lora_rank, q_width, false));
  }
  add_child("kv_a_proj_with_mqa", ops::linear(ctx, tokens, hidden, latent + rope, false));
  add_child("kv_a_layernorm", modelmeter::make_layer<DeepseekV2RMSNorm>(ctx, tokens, latent));
  add_child("kv_b_proj_uk", ops::linear(ctx, head_rows, nope, latent, false, heads));  // q_nope · W_UK per head
  add_child("rotary_emb", modelmeter::make_layer<LlamaRotaryEmbedding>(ctx, tokens, heads, 1, rope));

  ops::AttentionShape a;
  a.batch = shape.batch;
  a.heads = heads;
  a.kv_heads = 1;              // one latent shared by every head
  a.head_dim = latent + rope;  // scores over [c_KV, k_pe]
  a.v_head_dim = latent;       // context over c_KV
  a.query_len = shape.query_len;
  a.kv_len = shape.kv_len;
  a.causal = true;
  a.grows_per_step = shape.decode;
  a.writes_kv_cache = true;
  a.kv_shared = true;  // V is the first c channels of the cached K
  a.impl = shape.impl;
  add_child("attention", ops::attention(ctx, a));

  add_child("kv_b_proj_uv", ops::linear(ctx, head_rows, latent, v_dim, false, heads));  // latent context · W_UV
  add_child("o_proj", ops::linear(ctx, tokens, heads * v_dim, hidden, false));

  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " kv_len=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " hidden=" + std::to_string(hidden) + " heads=" + std::to_string(heads) +
            " q_lora_rank=" + std::to_string(cfg.q_lora_rank) + " kv_lora_rank=" + std::to_string(latent) +
            " nope=" + std::to_string(nope) + " rope=" + std::to_string(rope) + " v_head_dim=" + std::to_string(v_dim) +
            " impl=" + (shape.impl == MM_ATTENTION_EAGER ? "eager" : "flash");
}

}  // namespace deepseek_ocr
