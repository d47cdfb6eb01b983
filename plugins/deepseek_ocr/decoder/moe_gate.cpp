#include "decoder/moe_gate.hpp"

#include <modelmeter/blocks.hpp>

#include "shape_text.hpp"

namespace deepseek_ocr {

MoEGate::MoEGate(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, double tokens)
    : tokens_(tokens),
      experts_(static_cast<double>(cfg.n_routed_experts)),
      top_k_(static_cast<double>(cfg.num_experts_per_tok)),
      ba_(ctx.precision().activation_bytes) {
  if (cfg.n_routed_experts == 0 || cfg.num_experts_per_tok == 0 || cfg.num_experts_per_tok > cfg.n_routed_experts) {
    throw modelmeter::InvalidArgument("MoEGate needs 1 <= num_experts_per_tok <= n_routed_experts, got k = " +
                                      std::to_string(cfg.num_experts_per_tok) +
                                      ", E = " + std::to_string(cfg.n_routed_experts));
  }
  namespace ops = modelmeter::ops;
  add_child("weight", ops::linear(ctx, tokens, cfg.hidden_size, cfg.n_routed_experts, false));
  add_child("softmax", ops::softmax(ctx, tokens, cfg.n_routed_experts));
}

// Greedy top-k and the routed_scaling_factor product (formulas on this class's page; shared through the SDK).
modelmeter::Metrics MoEGate::own(modelmeter::Pass pass) const {
  return modelmeter::blocks::topk_router(pass, tokens_, experts_, top_k_, ba_);
}

std::string MoEGate::shapes() const {
  return "tokens=" + shape_text::count(tokens_) + " experts=" + shape_text::count(experts_) +
         " top_k=" + shape_text::count(top_k_);
}

}  // namespace deepseek_ocr
