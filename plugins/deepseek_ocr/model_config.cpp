#include "model_config.hpp"

namespace deepseek_ocr {

namespace {
uint64_t u(const modelmeter::Config& c, const char* key) {
  return static_cast<uint64_t>(c.get_int(key));
}
[[noreturn]] void invalid(const std::string& why) {
  throw modelmeter::InvalidArgument(why);
}
}  // namespace

DecoderConfig DecoderConfig::from(const modelmeter::Config& c) {
  DecoderConfig d;
  d.hidden_size = u(c, "model.hidden_size");
  d.num_hidden_layers = u(c, "model.num_hidden_layers");
  d.num_attention_heads = u(c, "model.num_attention_heads");
  d.num_key_value_heads = u(c, "model.num_key_value_heads");
  d.intermediate_size = u(c, "model.intermediate_size");
  d.moe_intermediate_size = u(c, "model.moe_intermediate_size");
  d.n_routed_experts = u(c, "model.n_routed_experts");
  d.n_shared_experts = u(c, "model.n_shared_experts");
  d.num_experts_per_tok = u(c, "model.num_experts_per_tok");
  d.first_k_dense_replace = u(c, "model.first_k_dense_replace");
  d.moe_layer_freq = u(c, "model.moe_layer_freq");
  d.vocab_size = u(c, "model.vocab_size");
  d.max_position_embeddings = u(c, "model.max_position_embeddings");
  d.use_mla = c.get_bool("model.use_mla");
  d.q_lora_rank = u(c, "model.q_lora_rank");
  d.kv_lora_rank = u(c, "model.kv_lora_rank");
  d.qk_rope_head_dim = u(c, "model.qk_rope_head_dim");
  d.qk_nope_head_dim = u(c, "model.qk_nope_head_dim");
  d.v_head_dim = u(c, "model.v_head_dim");
  const std::string heads = std::to_string(d.num_attention_heads);
  if (!d.use_mla && d.hidden_size % d.num_attention_heads != 0) {
    invalid("model.num_attention_heads = " + heads +
            " does not divide model.hidden_size = " + std::to_string(d.hidden_size));
  }
  if (d.num_attention_heads % d.num_key_value_heads != 0) {
    invalid("model.num_key_value_heads = " + std::to_string(d.num_key_value_heads) +
            " does not divide model.num_attention_heads = " + heads);
  }
  if (!d.use_mla && d.head_dim() % 2 != 0) invalid("the head dimension hidden_size / heads must be even for RoPE");
  if (d.use_mla && d.qk_rope_head_dim % 2 != 0) invalid("model.qk_rope_head_dim must be even for RoPE");
  if (d.n_routed_experts > 0 && d.num_experts_per_tok > d.n_routed_experts) {
    invalid("model.num_experts_per_tok = " + std::to_string(d.num_experts_per_tok) +
            " exceeds model.n_routed_experts = " + std::to_string(d.n_routed_experts));
  }
  return d;
}

}  // namespace deepseek_ocr
