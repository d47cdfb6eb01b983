#include "decoder/deepseek_v2_decoder_layer.hpp"

#include <modelmeter/blocks.hpp>

#include "decoder/deepseek_v2_flash_attention2.hpp"
#include "decoder/deepseek_v2_mlp.hpp"
#include "decoder/deepseek_v2_moe.hpp"
#include "decoder/deepseek_v2_rms_norm.hpp"
#include "llama/llama_flash_attention2.hpp"

namespace deepseek_ocr {

DeepseekV2DecoderLayer::DeepseekV2DecoderLayer(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                               const DecoderShape& shape, uint64_t layer_idx) {
  namespace ops = modelmeter::ops;
  const double tokens = shape.tokens();
  const uint64_t hidden = cfg.hidden_size;
  const bool moe = cfg.is_moe_layer(layer_idx);

  add_child("input_layernorm", modelmeter::make_layer<DeepseekV2RMSNorm>(ctx, tokens, hidden));
  if (cfg.use_mla) {
    add_child("self_attn", modelmeter::make_layer<DeepseekV2FlashAttention2>(ctx, cfg, shape), 1, "decoder attention");
  } else {
    add_child("self_attn", modelmeter::make_layer<LlamaFlashAttention2>(ctx, cfg, shape), 1, "decoder attention");
  }
  add_child("attn_residual", ops::add(ctx, tokens, hidden));
  add_child("post_attention_layernorm", modelmeter::make_layer<DeepseekV2RMSNorm>(ctx, tokens, hidden));
  if (moe) {
    add_child("mlp", modelmeter::make_layer<DeepseekV2MoE>(ctx, cfg, shape), 1, "decoder MLP/MoE");
  } else {
    add_child("mlp",
              modelmeter::make_layer<DeepseekV2MLP>(ctx, hidden, cfg.intermediate_size, tokens, 1, 0.0,
                                                    modelmeter::blocks::sharding(ctx).tp),
              1, "decoder MLP/MoE");
  }
  add_child("mlp_residual", ops::add(ctx, tokens, hidden));

  shapes_ = "layer=" + std::to_string(layer_idx) + " batch=" + std::to_string(shape.batch) +
            " query_len=" + std::to_string(shape.query_len) + " kv_len=" + std::to_string(shape.kv_len) +
            (shape.decode ? "+step" : "") + " hidden=" + std::to_string(hidden) +
            " attention=" + (cfg.use_mla ? "mla" : "mha") + " mlp=" + (moe ? "moe" : "dense");
}

}  // namespace deepseek_ocr
