#include "self_attention.hpp"

#include <modelmeter/blocks.hpp>
#include <utility>
#include <vector>

namespace example {

SelfAttention::SelfAttention(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& s) {
  namespace ops = modelmeter::ops;
  namespace blocks = modelmeter::blocks;
  // Tensor parallel through the SDK (docs/parallelism.md): q/k/v column-parallel (heads/tp each), o_proj
  // row-parallel followed by its all-reduce. tp = 1 builds the unsharded block.
  const uint64_t tp = blocks::sharding(ctx).tp;
  for (const char* proj : {"q_proj", "k_proj", "v_proj"}) {
    add_child(proj, blocks::column_parallel_linear(ctx, s.tokens(), cfg.hidden, cfg.hidden, false, tp));
  }
  ops::AttentionShape a;
  a.batch = s.batch;
  a.heads = cfg.heads / tp;
  a.head_dim = cfg.head_dim();
  a.query_len = s.query_len;
  a.kv_len = s.kv_len;
  a.causal = true;
  a.grows_per_step = s.decode;
  a.writes_kv_cache = true;
  a.impl = ctx.attention();
  add_child("attn", ops::attention(ctx, a));
  std::vector<blocks::NamedLayer> out;
  blocks::row_parallel_linear(out, ctx, "o_proj", s.tokens(), cfg.hidden, cfg.hidden, false, tp);
  for (auto& c : out) add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component));
  shapes_ = "tokens=" + std::to_string(s.batch * s.query_len) + " hidden=" + std::to_string(cfg.hidden) +
            " heads=" + std::to_string(cfg.heads) + " context=" + std::to_string(s.kv_len);
}

}  // namespace example
