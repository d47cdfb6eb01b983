// A Hugging Face decoder-only LLM as described by its config.json, read once and validated into a plain
// struct (the only file that parses JSON is hf_config.cpp). Layers take HfConfig, never raw JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <modelmeter/blocks.hpp>
#include <string>
#include <vector>

namespace hf_decoder {

enum class Architecture { Llama, Mistral, Qwen2, Mixtral, DeepseekV2 };

const char* architecture_name(Architecture a);

struct HfConfig {
  static constexpr std::size_t kMaxConfigBytes = 16u << 20;  // a larger config.json is refused

  std::string file;        // the config.json it was read from (for messages)
  std::string model_name;  // file stem, or the folder's name for ".../<name>/config.json"
  Architecture arch = Architecture::Llama;
  uint64_t hidden_size = 0;
  uint64_t num_hidden_layers = 0;
  uint64_t num_attention_heads = 0;
  uint64_t num_key_value_heads = 0;  // GQA; = heads when the file omits it
  uint64_t head_dim = 0;             // the file's head_dim, else hidden / heads
  uint64_t intermediate_size = 0;    // dense MLP
  uint64_t vocab_size = 0;
  uint64_t max_position_embeddings = 0;
  bool tie_word_embeddings = false;
  bool qkv_bias = false;        // Qwen2 (always), Llama `attention_bias`
  bool o_bias = false;          // Llama `attention_bias` (o_proj too)
  bool mlp_bias = false;        // Llama `mlp_bias`
  uint64_t sliding_window = 0;  // 0: full attention (Mistral: the attention context is capped at this)
  // Mixture of experts (Mixtral, DeepSeek-V2); n_routed_experts = 0: every layer dense.
  uint64_t n_routed_experts = 0;
  uint64_t num_experts_per_tok = 0;
  uint64_t moe_intermediate_size = 0;  // one routed expert (Mixtral: intermediate_size)
  uint64_t n_shared_experts = 0;
  uint64_t first_k_dense_replace = 0;
  uint64_t moe_layer_freq = 1;
  bool renormalize_topk = false;  // Mixtral: the k weights are renormalised to sum to 1
  // DeepSeek-V2 multi-head latent attention.
  bool mla = false;
  uint64_t q_lora_rank = 0;  // 0: q_proj without low-rank compression (`q_lora_rank: null`)
  uint64_t kv_lora_rank = 0;
  uint64_t qk_rope_head_dim = 0;
  uint64_t qk_nope_head_dim = 0;
  uint64_t v_head_dim = 0;

  std::vector<std::string> ignored_keys;  // keys present in the file that do not change the analysis

  // MoE when routed experts exist, idx ≥ first_k_dense_replace and idx % moe_layer_freq == 0 (DeepSeek-V2's
  // rule; Mixtral has first_k_dense_replace = 0 and moe_layer_freq = 1: every layer).
  bool is_moe_layer(uint64_t idx) const {
    return n_routed_experts > 0 && idx >= first_k_dense_replace && idx % moe_layer_freq == 0;
  }
  // The MoE block's sizes for the SDK's sparse-MoE block (the shared experts run as one MLP of n_shared · i).
  modelmeter::blocks::MoeDims moe_dims() const {
    return {hidden_size, n_routed_experts, num_experts_per_tok, moe_intermediate_size,
            n_shared_experts * moe_intermediate_size};
  }

  // Reads and validates a config.json; throws modelmeter::InvalidArgument with one line naming the file and
  // the key (unknown architecture, missing required key, wrong type, inconsistent values).
  static HfConfig load(const std::string& path);
  // The same from the file's text (tests).
  static HfConfig parse(const std::string& text, const std::string& file);
};

}  // namespace hf_decoder
