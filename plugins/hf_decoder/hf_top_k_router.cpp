#include "hf_top_k_router.hpp"

#include <modelmeter/blocks.hpp>

namespace hf_decoder {

HfTopKRouter::HfTopKRouter(const modelmeter::StageContext& ctx, const HfConfig& cfg, double tokens)
    : tokens_(tokens),
      experts_(static_cast<double>(cfg.n_routed_experts)),
      top_k_(static_cast<double>(cfg.num_experts_per_tok)),
      per_choice_(cfg.renormalize_topk ? 2 : 1),
      ba_(ctx.precision().activation_bytes) {
  if (cfg.n_routed_experts == 0 || cfg.num_experts_per_tok == 0 || cfg.num_experts_per_tok > cfg.n_routed_experts) {
    throw modelmeter::InvalidArgument("HfTopKRouter needs 1 <= num_experts_per_tok <= experts");
  }
  add_child("weight", modelmeter::ops::linear(ctx, tokens, cfg.hidden_size, cfg.n_routed_experts, false));
  add_child("softmax", modelmeter::ops::softmax(ctx, tokens, cfg.n_routed_experts));
}

// Greedy top-k and the per-choice scaling or renormalisation (formulas on this class's page).
modelmeter::Metrics HfTopKRouter::own(modelmeter::Pass pass) const {
  return modelmeter::blocks::topk_router(pass, tokens_, experts_, top_k_, ba_, per_choice_);
}

std::string HfTopKRouter::shapes() const {
  using modelmeter::blocks::count_text;
  return "tokens=" + count_text(tokens_) + " experts=" + count_text(experts_) + " top_k=" + count_text(top_k_) +
         (per_choice_ > 1 ? " renormalize=yes" : " renormalize=no");
}

}  // namespace hf_decoder
