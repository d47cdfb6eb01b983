#include "decoder/deepseek_v2_moe.hpp"

#include <modelmeter/blocks.hpp>

#include "decoder/deepseek_v2_mlp.hpp"
#include "decoder/moe_gate.hpp"

namespace deepseek_ocr {

// Children, expert/tensor parallelism and the dispatch/combine glue: the SDK's SparseMoeLayer (formulas on this
// class's page).
DeepseekV2MoE::DeepseekV2MoE(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape)
    : SparseMoeLayer(
          ctx, kLayerClassName, cfg.moe_dims(), shape.tokens(),
          [&](double tokens) { return modelmeter::make_layer<MoEGate>(ctx, cfg, tokens); },
          [&](uint64_t hidden, uint64_t intermediate, double rows, uint64_t groups, double touched, uint64_t tp) {
            return modelmeter::make_layer<DeepseekV2MLP>(ctx, hidden, intermediate, rows, groups, touched, tp, false);
          }) {}

}  // namespace deepseek_ocr
