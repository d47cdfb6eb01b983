#include "hf_sparse_moe_block.hpp"

#include <modelmeter/blocks.hpp>

#include "hf_mlp.hpp"
#include "hf_top_k_router.hpp"

namespace hf_decoder {

HfSparseMoeBlock::HfSparseMoeBlock(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                                   const modelmeter::blocks::AttentionPositions& shape)
    : SparseMoeLayer(
          ctx, kLayerClassName, cfg.moe_dims(), shape.tokens(),
          [&](double tokens) { return modelmeter::make_layer<HfTopKRouter>(ctx, cfg, tokens); },
          [&](uint64_t hidden, uint64_t intermediate, double rows, uint64_t groups, double touched, uint64_t tp) {
            return modelmeter::make_layer<HfMLP>(ctx, hidden, intermediate, rows, false, groups, touched, tp, false);
          }) {}

}  // namespace hf_decoder
