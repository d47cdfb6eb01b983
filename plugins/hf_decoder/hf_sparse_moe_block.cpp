#include "hf_sparse_moe_block.hpp"

#include <modelmeter/blocks.hpp>

#include "hf_mlp.hpp"
#include "hf_top_k_router.hpp"

namespace hf_decoder {

namespace {

modelmeter::blocks::MoeDims moe_dims(const HfConfig& cfg) {
  modelmeter::blocks::MoeDims d;
  d.hidden = cfg.hidden_size;
  d.experts = cfg.n_routed_experts;
  d.top_k = cfg.num_experts_per_tok;
  d.expert_intermediate = cfg.moe_intermediate_size;
  d.shared_intermediate = cfg.n_shared_experts * cfg.moe_intermediate_size;  // one MLP of n_s·i (DeepSeek-V2)
  return d;
}

}  // namespace

HfSparseMoeBlock::HfSparseMoeBlock(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                                   const modelmeter::blocks::AttentionPositions& shape)
    : SparseMoeLayer(
          ctx, kLayerClassName, moe_dims(cfg), shape.tokens(),
          [&](double tokens) { return modelmeter::make_layer<HfTopKRouter>(ctx, cfg, tokens); },
          [&](uint64_t hidden, uint64_t intermediate, double rows, uint64_t groups, double touched, uint64_t tp) {
            return modelmeter::make_layer<HfMLP>(ctx, hidden, intermediate, rows, false, groups, touched, tp, false);
          }) {}

}  // namespace hf_decoder
