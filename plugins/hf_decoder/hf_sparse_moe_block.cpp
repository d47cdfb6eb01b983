#include "hf_sparse_moe_block.hpp"

#include <cmath>
#include <modelmeter/blocks.hpp>

#include "hf_mlp.hpp"
#include "hf_top_k_router.hpp"

namespace hf_decoder {

HfSparseMoeBlock::HfSparseMoeBlock(const modelmeter::StageContext& ctx, const HfConfig& cfg,
                                   const modelmeter::blocks::AttentionPositions& shape)
    : tokens_(shape.tokens()),
      hidden_(static_cast<double>(cfg.hidden_size)),
      experts_(static_cast<double>(cfg.n_routed_experts)),
      top_k_(static_cast<double>(cfg.num_experts_per_tok)),
      shared_(cfg.n_shared_experts > 0 ? 1.0 : 0.0),
      touched_(0),
      ba_(ctx.precision().activation_bytes) {
  if (!(tokens_ > 0)) throw modelmeter::InvalidArgument("HfSparseMoeBlock needs tokens > 0");
  add_child("gate", modelmeter::make_layer<HfTopKRouter>(ctx, cfg, tokens_));
  touched_ = modelmeter::blocks::experts_touched(experts_, top_k_, tokens_);
  const double slots = tokens_ * top_k_;  // T·k token copies, one per (token, chosen expert)
  const modelmeter::blocks::Sharding sh = modelmeter::blocks::sharding(ctx);
  const uint64_t tp = sh.tp;
  const uint64_t ep = sh.ep;
  namespace ops = modelmeter::ops;
  if (ep <= 1) {
    // Tensor parallel: every expert's intermediate size is split over the TP GPUs (as vLLM does without expert
    // parallelism); the routed and shared outputs are summed by one all-reduce after the combine.
    add_child("experts", modelmeter::make_layer<HfMLP>(ctx, cfg.hidden_size, cfg.moe_intermediate_size, slots, false,
                                                       cfg.n_routed_experts, touched_, tp, false));
  } else if (tp > 1) {
    // Expert parallel inside the TP group (ep = tp): each GPU holds E/ep whole experts and runs them on the token
    // copies routed to them, T·k/ep in expectation (every GPU sees all T tokens); the TP all-reduce below sums
    // the partial outputs.
    const uint64_t local = cfg.n_routed_experts / ep;
    add_child("experts", modelmeter::make_layer<HfMLP>(ctx, cfg.hidden_size, cfg.moe_intermediate_size,
                                                       slots / static_cast<double>(ep), false, local,
                                                       touched_ / static_cast<double>(ep)));
  } else {
    // Expert parallel over data-parallel GPUs (tp = 1): each GPU sends its T·k copies to the experts' GPUs
    // (all-to-all), runs its E/ep experts on the T·k copies it receives in expectation (routing spread evenly),
    // and returns them (all-to-all). Its experts are touched by the ep·T tokens of the group.
    const uint64_t local = cfg.n_routed_experts / ep;
    const double group_tokens = tokens_ * static_cast<double>(ep);
    const double touched_here =
        static_cast<double>(local) * (1 - std::pow(1 - top_k_ / experts_, group_tokens));  // docs/metrics.md §6
    add_child("dispatch_all_to_all", ops::all_to_all(ctx, slots, cfg.hidden_size, ep, MM_COMM_GROUP_EP), 1,
              modelmeter::blocks::kCommunication);
    add_child("experts", modelmeter::make_layer<HfMLP>(ctx, cfg.hidden_size, cfg.moe_intermediate_size, slots, false,
                                                       local, touched_here));
    add_child("combine_all_to_all", ops::all_to_all(ctx, slots, cfg.hidden_size, ep, MM_COMM_GROUP_EP), 1,
              modelmeter::blocks::kCommunication);
  }
  if (cfg.n_shared_experts > 0) {
    add_child("shared_experts",
              modelmeter::make_layer<HfMLP>(ctx, cfg.hidden_size, cfg.n_shared_experts * cfg.moe_intermediate_size,
                                            tokens_, false, 1, 0.0, tp, false));
  }
  if (tp > 1) {
    add_child("all_reduce", ops::all_reduce(ctx, tokens_, cfg.hidden_size, tp, MM_COMM_GROUP_TP), 1,
              modelmeter::blocks::kCommunication);
  }
}

// Dispatch and combine glue (formulas on this class's page).
modelmeter::Metrics HfSparseMoeBlock::own(modelmeter::Pass pass) const {
  return modelmeter::blocks::moe_dispatch_combine(pass, tokens_, hidden_, top_k_, shared_, ba_);
}

std::string HfSparseMoeBlock::shapes() const {
  using modelmeter::blocks::count_text;
  return "tokens=" + count_text(tokens_) + " hidden=" + count_text(hidden_) + " experts=" + count_text(experts_) +
         " top_k=" + count_text(top_k_) + " touched=" + count_text(touched_) +
         " shared=" + (shared_ > 0 ? "yes" : "no");
}

}  // namespace hf_decoder
