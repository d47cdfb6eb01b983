#include "hf_decoder_model.hpp"

#include "hf_decoder_layer.hpp"
#include "hf_rms_norm.hpp"

namespace hf_decoder {

HfDecoderModel::HfDecoderModel(const modelmeter::StageContext& ctx, const HfConfig& cfg, const Conventions& conv) {
  namespace ops = modelmeter::ops;
  // The forward stage (task train) runs the whole sequence once: no KV cache, logits for every position.
  const bool forward = ctx.stage() == MM_STAGE_FORWARD;
  const modelmeter::blocks::AttentionPositions shape{
      ctx.batch(), ctx.query_tokens(), ctx.kv_len(), ctx.stage() == MM_STAGE_DECODE, ctx.attention(), !forward};
  const double tokens = shape.tokens();
  if (conv.embedding_matmul) {
    add_child("embed_tokens", ops::linear(ctx, tokens, cfg.vocab_size, cfg.hidden_size, false), 1, "embedding");
  } else {
    add_child("embed_tokens", ops::embedding(ctx, tokens, cfg.vocab_size, cfg.hidden_size), 1, "embedding");
  }
  for (const auto& run :
       modelmeter::blocks::layer_runs(cfg.num_hidden_layers, [&](uint64_t i) { return cfg.is_moe_layer(i); })) {
    add_child(run.name(), modelmeter::make_layer<HfDecoderLayer>(ctx, cfg, shape, run.first), run.count(),
              "decoder norms and residuals");
  }
  add_child("norm", modelmeter::make_layer<HfRMSNorm>(ctx, tokens, cfg.hidden_size), 1, "decoder norms and residuals");
  const double head_rows = conv.lm_head_all_tokens || forward ? tokens : static_cast<double>(shape.batch);
  const modelmeter::StageContext head_ctx = cfg.tie_word_embeddings ? ctx.with_shared_weights() : ctx;
  add_child("lm_head", ops::linear(head_ctx, head_rows, cfg.hidden_size, cfg.vocab_size, false), 1, "LM head");

  shapes_ = std::string("architecture=") + architecture_name(cfg.arch) + " batch=" + std::to_string(shape.batch) +
            " query_len=" + std::to_string(shape.query_len) + " context=" + std::to_string(shape.kv_len) +
            (shape.decode ? "+step" : "") + " layers=" + std::to_string(cfg.num_hidden_layers) +
            " lm_head=" + (conv.lm_head_all_tokens || forward ? "all" : "last") +
            " embedding=" + (conv.embedding_matmul ? "matmul" : "lookup") + (cfg.tie_word_embeddings ? " tied" : "");
}

}  // namespace hf_decoder
