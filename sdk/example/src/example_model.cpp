#include "example_model.hpp"

#include "transformer_block.hpp"

namespace example {

ExampleModel::ExampleModel(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  add_child("embed_tokens", ops::embedding(ctx, s.tokens(), cfg.vocab, cfg.hidden));
  add_child("layers", modelmeter::make_layer<TransformerBlock>(ctx, cfg, s), static_cast<double>(cfg.layers));
  const double last_positions = static_cast<double>(s.batch);  // logits for one position per sequence
  add_child("norm", ops::rms_norm(ctx, last_positions, cfg.hidden));
  add_child("lm_head", ops::linear(ctx, last_positions, cfg.hidden, cfg.vocab, false));
  shapes_ = "batch=" + std::to_string(s.batch) + " query_len=" + std::to_string(s.query_len) +
            " context=" + std::to_string(s.kv_len) + " layers=" + std::to_string(cfg.layers);
}

}  // namespace example
