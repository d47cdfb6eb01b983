#include "core/deepseek_ocr_model.hpp"

#include <algorithm>
#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

#include "decoder/deepseek_v2_decoder_layer.hpp"
#include "decoder/deepseek_v2_rms_norm.hpp"
#include "vision/image_encoder_vit.hpp"
#include "vision/mlp_projector.hpp"
#include "vision/vit_model.hpp"

namespace deepseek_ocr {

DeepseekOCRModel::DeepseekOCRModel(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                   const VisionConfig& vision, const VisionPlan& plan)
    : vision_stage_(ctx.stage() == MM_STAGE_VISION),
      hidden_(static_cast<double>(cfg.hidden_size)),
      ba_(ctx.precision().activation_bytes),
      bw_(ctx.precision().weight_bytes) {
  if (vision_stage_) {
    build_vision(ctx, cfg, vision, plan);
  } else {
    build_decoder(ctx, cfg, plan);
  }
}

void DeepseekOCRModel::build_vision(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                    const VisionConfig& v, const VisionPlan& plan) {
  const uint64_t pages = ctx.batch();
  const ViewShape global{pages, plan.base_size};
  add_child("sam_model", modelmeter::make_layer<ImageEncoderViT>(ctx, v, global), 1, "SAM encoder");
  add_child("vision_model", modelmeter::make_layer<VitModel>(ctx, v, global), 1, "CLIP encoder");
  double tokens = static_cast<double>(pages * plan.q() * plan.q());
  if (plan.grid.tiles() > 0) {
    // The tiles run through the same encoders: same weights, so this instance owns no parameters.
    const modelmeter::StageContext shared = ctx.with_shared_weights();
    const ViewShape tiles{pages * plan.grid.tiles(), plan.image_size};
    add_child("sam_model[tiles]", modelmeter::make_layer<ImageEncoderViT>(shared, v, tiles), 1, "SAM encoder");
    add_child("vision_model[tiles]", modelmeter::make_layer<VitModel>(shared, v, tiles), 1, "CLIP encoder");
    tokens += static_cast<double>(pages * plan.grid.tiles() * plan.q_tile() * plan.q_tile());
  }
  add_child("projector", modelmeter::make_layer<MlpProjector>(ctx, v, cfg.hidden_size, tokens), 1, "projector");
  view_tokens_ = tokens;
  concat_channels_ = static_cast<double>(v.projector_in);  // CLIP (without CLS) and SAM channels side by side
  vision_tokens_ = static_cast<double>(pages * plan.tokens());
  shapes_ = "pages=" + std::to_string(pages) + " mode=" + plan.mode + " base_size=" + std::to_string(plan.base_size) +
            (plan.grid.tiles() > 0 ? " tiles=" + std::to_string(plan.grid.w) + "x" + std::to_string(plan.grid.h) +
                                         " image_size=" + std::to_string(plan.image_size)
                                   : std::string(" tiles=none")) +
            " vision_tokens=" + std::to_string(plan.tokens());
}

void DeepseekOCRModel::build_decoder(const modelmeter::StageContext& ctx, const DecoderConfig& cfg,
                                     const VisionPlan& plan) {
  namespace blocks = modelmeter::blocks;
  const DecoderShape shape{ctx.batch(), ctx.query_tokens(), ctx.kv_len(), ctx.stage() == MM_STAGE_DECODE,
                           ctx.attention()};
  // The decoder is tensor-, pipeline- and expert-parallel; the vision encoders are replicated over TP and EP and
  // run on the first pipeline stage (docs/parallelism.md).
  const blocks::Sharding sh = blocks::sharding(ctx);
  const uint64_t tp = sh.tp;
  // Pipeline parallel: this stage's layers (vLLM's split). The first stage embeds the tokens and scatters the
  // vision tokens into them; the last holds the final norm and the LM head; the others receive and send the
  // T × h activations.
  const blocks::LayerRange mine = blocks::pipeline_layers(cfg.num_hidden_layers, sh.pp, sh.pp_rank);
  const bool first_stage = sh.pp_rank == 0;
  const bool last_stage = sh.pp_rank + 1 == sh.pp;
  if (first_stage) {
    std::vector<blocks::NamedLayer> embed;
    blocks::vocab_parallel_embedding(embed, ctx, shape.tokens(), cfg.vocab_size, cfg.hidden_size, tp);
    for (auto& c : embed) {
      add_child(std::move(c.name), std::move(c.layer), 1, c.component.empty() ? "embedding" : c.component);
    }
  } else {
    add_child("recv_activations", modelmeter::ops::send_recv(ctx, shape.tokens(), cfg.hidden_size, 2, MM_COMM_GROUP_PP),
              1, blocks::kCommunication);
  }
  // Consecutive layers of the same kind (dense or MoE) have identical shapes: one child, repeated.
  for (const auto& local :
       blocks::layer_runs(mine.count, [&](uint64_t i) { return cfg.is_moe_layer(mine.first + i); })) {
    const blocks::LayerRun run{mine.first + local.first, mine.first + local.last};
    add_child(run.name(), modelmeter::make_layer<DeepseekV2DecoderLayer>(ctx, cfg, shape, run.first), run.count(),
              "decoder norms and residuals");
  }
  if (last_stage) {
    add_child("norm", modelmeter::make_layer<DeepseekV2RMSNorm>(ctx, shape.tokens(), cfg.hidden_size), 1,
              "decoder norms and residuals");
    // Serving engines compute logits only for the position they sample from: one per sequence.
    std::vector<blocks::NamedLayer> head;
    blocks::vocab_parallel_lm_head(head, ctx, static_cast<double>(shape.batch), cfg.hidden_size, cfg.vocab_size, tp);
    for (auto& c : head) {
      add_child(std::move(c.name), std::move(c.layer), 1, c.component.empty() ? "LM head" : c.component);
    }
  } else {
    add_child("send_activations", modelmeter::ops::send_recv(ctx, shape.tokens(), cfg.hidden_size, 2, MM_COMM_GROUP_PP),
              1, blocks::kCommunication);
  }
  // The vision tokens are scattered into the sequence next to the embedding (the first stage).
  if (ctx.stage() == MM_STAGE_PREFILL && first_stage) vision_tokens_ = static_cast<double>(shape.batch * plan.tokens());
  shapes_ = "batch=" + std::to_string(shape.batch) + " query_len=" + std::to_string(shape.query_len) +
            " context=" + std::to_string(shape.kv_len) + (shape.decode ? "+step" : "") +
            " layers=" + std::to_string(cfg.num_hidden_layers) +
            (tp > 1 ? " tp=" + std::to_string(tp) : std::string()) +
            (sh.ep > 1 ? " ep=" + std::to_string(sh.ep) : std::string()) +
            (sh.pp > 1 ? " pp=" + std::to_string(sh.pp) + " pp_rank=" + std::to_string(sh.pp_rank) +
                             " stage_layers=" + std::to_string(mine.count)
                       : std::string());
}

// Forward and backward move the same bytes (backward: gradients); neither does arithmetic.
modelmeter::Metrics DeepseekOCRModel::own(modelmeter::Pass) const {
  modelmeter::Metrics m;
  const double N = view_tokens_, V = vision_tokens_, h = hidden_, c = concat_channels_;
  if (vision_stage_) {
    const double concat = ba_ * N * c + ba_ * N * c;                  // read CLIP and SAM tokens, write concat
    const double assemble = ba_ * N * h + bw_ * 2 * h + ba_ * V * h;  // read projected tokens, newline, separator
    m.parameters = 2 * h;                                             // image_newline, view_seperator
    m.weight_bytes = bw_ * m.parameters;                              // (backward: their gradients)
    m.io_bytes = concat + assemble;                                   // both copies
    m.activation_bytes = ba_ * (N * c + V * h);                       // concat output, assembled sequence
    m.live_bytes = std::max(2 * ba_ * N * c, ba_ * (N + V) * h);      // the larger of the two steps
  } else if (V > 0) {
    m.io_bytes = 2 * ba_ * V * h;      // masked_scatter: read the vision tokens, write them into the sequence
    m.activation_bytes = ba_ * V * h;  // the written rows
    m.live_bytes = 2 * ba_ * V * h;    // source and destination rows
  }
  return m;
}

}  // namespace deepseek_ocr
