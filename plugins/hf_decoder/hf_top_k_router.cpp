#include "hf_top_k_router.hpp"

namespace hf_decoder {

HfTopKRouter::HfTopKRouter(const modelmeter::StageContext& ctx, const HfConfig& cfg, double tokens)
    : TopKRouterLayer(ctx, kLayerClassName, tokens, cfg.hidden_size, cfg.n_routed_experts, cfg.num_experts_per_tok,
                      cfg.renormalize_topk ? 2 : 1) {}

std::string HfTopKRouter::shapes() const {
  return TopKRouterLayer::shapes() + (per_choice() > 1 ? " renormalize=yes" : " renormalize=no");
}

}  // namespace hf_decoder
