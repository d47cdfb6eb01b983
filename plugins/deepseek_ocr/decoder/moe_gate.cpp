#include "decoder/moe_gate.hpp"

namespace deepseek_ocr {

// Greedy top-k and the routed_scaling_factor product (formulas on this class's page; the SDK's TopKRouterLayer).
MoEGate::MoEGate(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, double tokens)
    : TopKRouterLayer(ctx, kLayerClassName, tokens, cfg.hidden_size, cfg.n_routed_experts, cfg.num_experts_per_tok) {}

}  // namespace deepseek_ocr
