#include "feed_forward.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

namespace example {

FeedForward::FeedForward(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  namespace blocks = modelmeter::blocks;
  // Tensor parallel: up column-parallel (ffn/tp columns with their bias), down row-parallel and all-reduced.
  const uint64_t tp = blocks::sharding(ctx).tp;
  add_child("up", blocks::column_parallel_linear(ctx, s.tokens(), cfg.hidden, cfg.ffn, true, tp));
  add_child("act", ops::gelu(ctx, s.tokens(), cfg.ffn / tp));
  std::vector<blocks::NamedLayer> out;
  blocks::row_parallel_linear(out, ctx, "down", s.tokens(), cfg.ffn, cfg.hidden, true, tp);
  for (auto& c : out) add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component));
}

}  // namespace example
