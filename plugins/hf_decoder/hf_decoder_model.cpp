#include "hf_decoder_model.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

#include "hf_decoder_layer.hpp"
#include "hf_rms_norm.hpp"

namespace hf_decoder {

HfDecoderModel::HfDecoderModel(const modelmeter::StageContext& ctx, const HfConfig& cfg, const Conventions& conv) {
  // The forward stage (task train) runs the whole sequence once: no KV cache, logits for every position.
  const bool forward = ctx.stage() == MM_STAGE_FORWARD;
  const modelmeter::blocks::AttentionPositions shape{
      ctx.batch(), ctx.query_tokens(), ctx.kv_len(), ctx.stage() == MM_STAGE_DECODE, ctx.attention(), !forward};
  const double tokens = shape.tokens();
  const modelmeter::blocks::Sharding sh = modelmeter::blocks::sharding(ctx);
  const uint64_t tp = sh.tp;
  // Pipeline parallel: this stage's layers (vLLM's split); the first stage embeds, the last holds the final norm
  // and the LM head, every other stage receives the T × h activations of the one before.
  const modelmeter::blocks::LayerRange mine =
      modelmeter::blocks::pipeline_layers(cfg.num_hidden_layers, sh.pp, sh.pp_rank);
  const bool first_stage = sh.pp_rank == 0;
  const bool last_stage = sh.pp_rank + 1 == sh.pp;
  if (first_stage) {
    std::vector<modelmeter::blocks::NamedLayer> embed;
    modelmeter::blocks::vocab_parallel_embedding(embed, ctx, tokens, cfg.vocab_size, cfg.hidden_size, tp,
                                                 conv.embedding_matmul);
    for (auto& c : embed) {
      add_child(std::move(c.name), std::move(c.layer), 1, c.component.empty() ? "embedding" : c.component);
    }
  } else {
    add_child("recv_activations", modelmeter::ops::send_recv(ctx, tokens, cfg.hidden_size, 2, MM_COMM_GROUP_PP), 1,
              modelmeter::blocks::kCommunication);
  }
  for (const auto& local :
       modelmeter::blocks::layer_runs(mine.count, [&](uint64_t i) { return cfg.is_moe_layer(mine.first + i); })) {
    const modelmeter::blocks::LayerRun run{mine.first + local.first, mine.first + local.last};
    add_child(run.name(), modelmeter::make_layer<HfDecoderLayer>(ctx, cfg, shape, run.first), run.count(),
              "decoder norms and residuals");
  }
  if (last_stage) {
    add_child("norm", modelmeter::make_layer<HfRMSNorm>(ctx, tokens, cfg.hidden_size), 1,
              "decoder norms and residuals");
    const double head_rows = conv.lm_head_all_tokens || forward ? tokens : static_cast<double>(shape.batch);
    // Tied weights are shared only when the embedding lives on the same GPU (not across pipeline stages).
    const modelmeter::StageContext head_ctx = cfg.tie_word_embeddings && first_stage ? ctx.with_shared_weights() : ctx;
    std::vector<modelmeter::blocks::NamedLayer> head;
    modelmeter::blocks::vocab_parallel_lm_head(head, head_ctx, head_rows, cfg.hidden_size, cfg.vocab_size, tp);
    for (auto& c : head) {
      add_child(std::move(c.name), std::move(c.layer), 1, c.component.empty() ? "LM head" : c.component);
    }
  } else {
    add_child("send_activations", modelmeter::ops::send_recv(ctx, tokens, cfg.hidden_size, 2, MM_COMM_GROUP_PP), 1,
              modelmeter::blocks::kCommunication);
  }

  shapes_ = std::string("architecture=") + architecture_name(cfg.arch) + " batch=" + std::to_string(shape.batch) +
            " query_len=" + std::to_string(shape.query_len) + " context=" + std::to_string(shape.kv_len) +
            (shape.decode ? "+step" : "") + " layers=" + std::to_string(cfg.num_hidden_layers) +
            " lm_head=" + (conv.lm_head_all_tokens || forward ? "all" : "last") +
            " embedding=" + (conv.embedding_matmul ? "matmul" : "lookup") + (cfg.tie_word_embeddings ? " tied" : "") +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string()) +
            (sh.pp > 1 ? " pp=" + std::to_string(sh.pp) + " pp_rank=" + std::to_string(sh.pp_rank) +
                             " stage_layers=" + std::to_string(mine.count)
                       : std::string());
}

}  // namespace hf_decoder
