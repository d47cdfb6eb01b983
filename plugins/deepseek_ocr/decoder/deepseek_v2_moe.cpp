#include "decoder/deepseek_v2_moe.hpp"

#include <modelmeter/blocks.hpp>

#include "decoder/deepseek_v2_mlp.hpp"
#include "decoder/moe_gate.hpp"
#include "shape_text.hpp"

namespace deepseek_ocr {

double DeepseekV2MoE::experts_touched(double experts, double top_k, double tokens) {
  return modelmeter::blocks::experts_touched(experts, top_k, tokens);  // docs/metrics.md §6
}

DeepseekV2MoE::DeepseekV2MoE(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape)
    : tokens_(shape.tokens()),
      hidden_(static_cast<double>(cfg.hidden_size)),
      experts_(static_cast<double>(cfg.n_routed_experts)),
      top_k_(static_cast<double>(cfg.num_experts_per_tok)),
      shared_(cfg.n_shared_experts > 0 ? 1.0 : 0.0),
      touched_(0),
      ba_(ctx.precision().activation_bytes) {
  if (cfg.n_routed_experts == 0 || cfg.num_experts_per_tok == 0 || cfg.num_experts_per_tok > cfg.n_routed_experts) {
    throw modelmeter::InvalidArgument("DeepseekV2MoE needs 1 <= num_experts_per_tok <= n_routed_experts, got k = " +
                                      std::to_string(cfg.num_experts_per_tok) +
                                      ", E = " + std::to_string(cfg.n_routed_experts));
  }
  if (!(tokens_ > 0)) throw modelmeter::InvalidArgument("DeepseekV2MoE needs tokens > 0");
  touched_ = experts_touched(experts_, top_k_, tokens_);

  const double slots = tokens_ * top_k_;  // T·k token copies, one per (token, chosen expert)
  add_child("gate", modelmeter::make_layer<MoEGate>(ctx, cfg, tokens_));
  // Tensor parallel: each expert's intermediate size split over the TP GPUs; one all-reduce after the combine.
  const uint64_t tp = modelmeter::blocks::sharding(ctx).tp;
  add_child("experts", modelmeter::make_layer<DeepseekV2MLP>(ctx, cfg.hidden_size, cfg.moe_intermediate_size, slots,
                                                             cfg.n_routed_experts, touched_, tp, false));
  if (cfg.n_shared_experts > 0) {
    add_child("shared_experts",
              modelmeter::make_layer<DeepseekV2MLP>(
                  ctx, cfg.hidden_size, cfg.n_shared_experts * cfg.moe_intermediate_size, tokens_, 1, 0.0, tp, false));
  }
  if (tp > 1) {
    add_child("all_reduce", modelmeter::ops::all_reduce(ctx, tokens_, cfg.hidden_size, tp, MM_COMM_GROUP_TP), 1,
              modelmeter::blocks::kCommunication);
  }
}

// Dispatch and combine glue (formulas on this class's page; shared with other MoE blocks through the SDK).
modelmeter::Metrics DeepseekV2MoE::own(modelmeter::Pass pass) const {
  return modelmeter::blocks::moe_dispatch_combine(pass, tokens_, hidden_, top_k_, shared_, ba_);
}

std::string DeepseekV2MoE::shapes() const {
  return "tokens=" + shape_text::count(tokens_) + " hidden=" + shape_text::count(hidden_) +
         " experts=" + shape_text::count(experts_) + " top_k=" + shape_text::count(top_k_) +
         " touched=" + shape_text::count(touched_) + " shared=" + (shared_ > 0 ? "yes" : "no");
}

}  // namespace deepseek_ocr
