#include "hf_decoder_model.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

#include "hf_decoder_layer.hpp"
#include "hf_rms_norm.hpp"

namespace hf_decoder {

HfDecoderModel::HfDecoderModel(const modelmeter::StageContext& ctx, const HfConfig& cfg, const Conventions& conv) {
  const modelmeter::blocks::AttentionPositions shape{ctx.batch(), ctx.query_tokens(), ctx.kv_len(),
                                                     ctx.stage() == MM_STAGE_DECODE, ctx.attention()};
  const double tokens = shape.tokens();
  const uint64_t tp = modelmeter::blocks::sharding(ctx).tp;
  std::vector<modelmeter::blocks::NamedLayer> embed;
  modelmeter::blocks::vocab_parallel_embedding(embed, ctx, tokens, cfg.vocab_size, cfg.hidden_size, tp,
                                               conv.embedding_matmul);
  for (auto& c : embed) {
    add_child(std::move(c.name), std::move(c.layer), 1, c.component.empty() ? "embedding" : c.component);
  }
  for (const auto& run :
       modelmeter::blocks::layer_runs(cfg.num_hidden_layers, [&](uint64_t i) { return cfg.is_moe_layer(i); })) {
    add_child(run.name(), modelmeter::make_layer<HfDecoderLayer>(ctx, cfg, shape, run.first), run.count(),
              "decoder norms and residuals");
  }
  add_child("norm", modelmeter::make_layer<HfRMSNorm>(ctx, tokens, cfg.hidden_size), 1, "decoder norms and residuals");
  const double head_rows = conv.lm_head_all_tokens ? tokens : static_cast<double>(shape.batch);
  const modelmeter::StageContext head_ctx = cfg.tie_word_embeddings ? ctx.with_shared_weights() : ctx;
  std::vector<modelmeter::blocks::NamedLayer> head;
  modelmeter::blocks::vocab_parallel_lm_head(head, head_ctx, head_rows, cfg.hidden_size, cfg.vocab_size, tp);
  for (auto& c : head) {
    add_child(std::move(c.name), std::move(c.layer), 1, c.component.empty() ? "LM head" : c.component);
  }

  shapes_ = std::string("architecture=") + architecture_name(cfg.arch) + " batch=" + std::to_string(shape.batch) +
            " query_len=" + std::to_string(shape.query_len) + " context=" + std::to_string(shape.kv_len) +
            (shape.decode ? "+step" : "") + " layers=" + std::to_string(cfg.num_hidden_layers) +
            " lm_head=" + (conv.lm_head_all_tokens ? "all" : "last") +
            " embedding=" + (conv.embedding_matmul ? "matmul" : "lookup") + (cfg.tie_word_embeddings ? " tied" : "") +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string());
}

}  // namespace hf_decoder
