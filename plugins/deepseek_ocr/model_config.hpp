// DeepSeek-OCR's configuration: the decoder's keys (model.*, the checkpoint's values by default, read once
// and validated here) and the vision encoders' fixed shapes. Layers take these structs, never raw keys.
#pragma once

#include <array>
#include <cstdint>
#include <modelmeter/blocks.hpp>
#include <modelmeter/sdk.hpp>
#include <string>

namespace deepseek_ocr {

// The DeepSeek-V2 decoder (`DeepseekV2Config`), defaults of the released DeepSeek-OCR checkpoint.
struct DecoderConfig {
  uint64_t hidden_size = 1280;
  uint64_t num_hidden_layers = 12;
  uint64_t num_attention_heads = 10;
  uint64_t num_key_value_heads = 10;
  uint64_t intermediate_size = 6848;     // dense MLP (layers < first_k_dense_replace)
  uint64_t moe_intermediate_size = 896;  // one routed expert
  uint64_t n_routed_experts = 64;        // 0: no MoE, every layer dense
  uint64_t n_shared_experts = 2;         // run as one MLP of n_shared · moe_intermediate
  uint64_t num_experts_per_tok = 6;      // top-k
  uint64_t first_k_dense_replace = 1;
  uint64_t moe_layer_freq = 1;
  uint64_t vocab_size = 129280;
  uint64_t max_position_embeddings = 8192;
  bool use_mla = false;             // DeepSeek-V2 multi-head latent attention
  uint64_t q_lora_rank = 0;         // MLA: 0 = q_proj without low-rank compression
  uint64_t kv_lora_rank = 512;      // MLA
  uint64_t qk_rope_head_dim = 64;   // MLA (the MHA path ropes the whole head)
  uint64_t qk_nope_head_dim = 128;  // MLA
  uint64_t v_head_dim = 128;        // MLA

  // MHA head dimension.
  uint64_t head_dim() const { return hidden_size / num_attention_heads; }
  // DeepseekV2DecoderLayer's rule: MoE when routed experts exist, idx ≥ first_k_dense_replace and
  // idx % moe_layer_freq == 0.
  bool is_moe_layer(uint64_t idx) const {
    return n_routed_experts > 0 && idx >= first_k_dense_replace && idx % moe_layer_freq == 0;
  }
  // The MoE block's sizes for the SDK's sparse-MoE block (the shared experts run as one MLP of n_shared · i).
  modelmeter::blocks::MoeDims moe_dims() const {
    return {hidden_size, n_routed_experts, num_experts_per_tok, moe_intermediate_size,
            n_shared_experts * moe_intermediate_size};
  }

  // Reads and cross-checks the model.* keys; throws modelmeter::InvalidArgument naming the keys.
  static DecoderConfig from(const modelmeter::Config& c);
};

// The vision encoders' shapes (fixed by the checkpoint).
struct VisionConfig {
  // SAM ViT-B (ImageEncoderViT)
  uint64_t sam_embed_dim = 768;
  uint64_t sam_depth = 12;
  uint64_t sam_heads = 12;
  uint64_t sam_mlp_dim = 3072;
  uint64_t sam_patch = 16;
  uint64_t sam_window = 14;
  std::array<uint64_t, 4> sam_global_blocks = {2, 5, 8, 11};
  uint64_t sam_pos_grid = 64;  // absolute position embedding 1×64×64×768 (interpolated for other sizes)
  uint64_t sam_out_chans = 256;
  uint64_t net_2_chans = 512;
  uint64_t net_3_chans = 1024;
  // CLIP-L (VitModel)
  uint64_t clip_hidden = 1024;
  uint64_t clip_layers = 24;
  uint64_t clip_heads = 16;
  uint64_t clip_ffn = 4096;
  uint64_t clip_patch = 14;
  uint64_t clip_positions = 257;  // 1 + 16·16
  // MlpProjector: concat(CLIP without CLS, SAM) = 2048 → hidden_size
  uint64_t projector_in = 2048;
};

// One kind of image view run through the encoders: `images` views (batch × views per page) of `size`² pixels.
struct ViewShape {
  uint64_t images;
  uint64_t size;
  uint64_t sam_grid(const VisionConfig& v) const { return size / v.sam_patch; }  // 64 at 1024
  uint64_t tokens_side(const VisionConfig& v) const { return sam_grid(v) / 4; }  // q: 16 at 1024
};

// The decoder's shapes in one stage.
struct DecoderShape {
  uint64_t batch;
  uint64_t query_len;  // per sequence: P (prefill) or 1 (decode)
  uint64_t kv_len;     // context at step 0 (new tokens included)
  bool decode;         // context grows by one per step
  mm_attention_impl impl;
  double tokens() const { return static_cast<double>(batch * query_len); }
};

}  // namespace deepseek_ocr
