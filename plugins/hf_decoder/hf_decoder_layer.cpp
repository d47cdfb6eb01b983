#include "hf_decoder_layer.hpp"

#include <modelmeter/blocks.hpp>

#include "hf_attention.hpp"
#include "hf_mla_attention.hpp"
#include "hf_mlp.hpp"
#include "hf_rms_norm.hpp"
#include "hf_sparse_moe_block.hpp"

namespace hf_decoder {

HfDecoderLayer::HfDecoderLayer(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                               const modelmeter::blocks::AttentionPositions& shape, uint64_t layer_idx) {
  namespace ops = modelmeter::ops;
  const double tokens = shape.tokens();
  const uint64_t hidden = cfg.hidden_size;
  const bool moe = cfg.is_moe_layer(layer_idx);

  add_child("input_layernorm", modelmeter::make_layer<HfRMSNorm>(ctx, tokens, hidden));
  if (cfg.mla) {
    add_child("self_attn", modelmeter::make_layer<HfMlaAttention>(ctx, cfg, shape), 1, "decoder attention");
  } else {
    add_child("self_attn", modelmeter::make_layer<HfAttention>(ctx, cfg, shape), 1, "decoder attention");
  }
  add_child("attn_residual", ops::add(ctx, tokens, hidden));
  add_child("post_attention_layernorm", modelmeter::make_layer<HfRMSNorm>(ctx, tokens, hidden));
  if (moe) {
    add_child("mlp", modelmeter::make_layer<HfSparseMoeBlock>(ctx, cfg, shape), 1, "decoder MLP/MoE");
  } else {
    add_child("mlp",
              modelmeter::make_layer<HfMLP>(ctx, hidden, cfg.intermediate_size, tokens, cfg.mlp_bias, 1, 0.0,
                                            modelmeter::blocks::sharding(ctx).tp),
              1, "decoder MLP/MoE");
  }
  add_child("mlp_residual", ops::add(ctx, tokens, hidden));

  shapes_ = "layer=" + std::to_string(layer_idx) + " batch=" + std::to_string(shape.batch) +
            " query_len=" + std::to_string(shape.query_len) + " kv_len=" + std::to_string(shape.kv_len) +
            (shape.decode ? "+step" : "") + " hidden=" + std::to_string(hidden) +
            " attention=" + (cfg.mla ? "mla" : "gqa") + " mlp=" + (moe ? "moe" : "dense");
}

}  // namespace hf_decoder
