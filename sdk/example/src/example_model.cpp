#include "example_model.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

#include "transformer_block.hpp"

namespace example {

ExampleModel::ExampleModel(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  namespace blocks = modelmeter::blocks;
  const uint64_t tp = blocks::sharding(ctx).tp;  // vocabulary-parallel embedding and LM head
  std::vector<blocks::NamedLayer> embed;
  blocks::vocab_parallel_embedding(embed, ctx, s.tokens(), cfg.vocab, cfg.hidden, tp);
  for (auto& c : embed) add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component));
  add_child("layers", modelmeter::make_layer<TransformerBlock>(ctx, cfg, s), static_cast<double>(cfg.layers));
  const double last_positions = static_cast<double>(s.batch);  // logits for one position per sequence
  add_child("norm", ops::rms_norm(ctx, last_positions, cfg.hidden));
  std::vector<blocks::NamedLayer> head;
  blocks::vocab_parallel_lm_head(head, ctx, last_positions, cfg.hidden, cfg.vocab, tp);
  for (auto& c : head) add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component));
  shapes_ = "batch=" + std::to_string(s.batch) + " query_len=" + std::to_string(s.query_len) +
            " context=" + std::to_string(s.kv_len) + " layers=" + std::to_string(cfg.layers);
}

}  // namespace example
