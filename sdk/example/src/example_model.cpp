#include "example_model.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

#include "transformer_block.hpp"

namespace example {

ExampleModel::ExampleModel(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  namespace blocks = modelmeter::blocks;
  const blocks::Sharding sh = blocks::sharding(ctx);  // the layout this GPU belongs to (all 1 on one GPU)
  const uint64_t tp = sh.tp;                          // vocabulary-parallel embedding and LM head
  // Pipeline parallel: this GPU's stage holds layers [first, first + count) (the host builds the last stage).
  const blocks::LayerRange mine = blocks::pipeline_layers(cfg.layers, sh.pp, sh.pp_rank);
  const bool first_stage = sh.pp_rank == 0, last_stage = sh.pp_rank + 1 == sh.pp;
  if (first_stage) {  // the first stage embeds the tokens
    std::vector<blocks::NamedLayer> embed;
    blocks::vocab_parallel_embedding(embed, ctx, s.tokens(), cfg.vocab, cfg.hidden, tp);
    for (auto& c : embed) add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component));
  } else {  // the others receive the T × h activations of the stage before
    add_child("recv_activations", ops::send_recv(ctx, s.tokens(), cfg.hidden, 2, MM_COMM_GROUP_PP), 1.0,
              blocks::kCommunication);
  }
  add_child("layers", modelmeter::make_layer<TransformerBlock>(ctx, cfg, s), static_cast<double>(mine.count));
  if (last_stage) {                                              // the last stage holds the final norm and the LM head
    const double last_positions = static_cast<double>(s.batch);  // logits for one position per sequence
    add_child("norm", ops::rms_norm(ctx, last_positions, cfg.hidden));
    std::vector<blocks::NamedLayer> head;
    blocks::vocab_parallel_lm_head(head, ctx, last_positions, cfg.hidden, cfg.vocab, tp);
    for (auto& c : head) add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component));
  } else {
    add_child("send_activations", ops::send_recv(ctx, s.tokens(), cfg.hidden, 2, MM_COMM_GROUP_PP), 1.0,
              blocks::kCommunication);
  }
  shapes_ = "batch=" + std::to_string(s.batch) + " query_len=" + std::to_string(s.query_len) +
            " context=" + std::to_string(s.kv_len) + " layers=" + std::to_string(cfg.layers) +
            (sh.pp > 1 ? " pp=" + std::to_string(sh.pp) + " stage_layers=" + std::to_string(mine.count) : "");
}

}  // namespace example
