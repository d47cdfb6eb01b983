#include "collective.hpp"

namespace modelmeter::core::ops {

const char* comm_group_name(int32_t group) noexcept {
  switch (group) {
    case MM_COMM_GROUP_TP:
      return "tp";
    case MM_COMM_GROUP_EP:
      return "ep";
    case MM_COMM_GROUP_PP:
      return "pp";
    case MM_COMM_GROUP_DP:
      return "dp";
    default:
      return "?";
  }
}

CollectiveOp::CollectiveOp(const modelmeter::StageContext& ctx, const mm_op_spec& spec, Collective kind)
    : CoreOp(ctx, spec),
      kind_(kind),
      tokens_(spec.tokens),
      features_(static_cast<double>(spec.features)),
      ranks_(static_cast<double>(spec.ranks)),
      ba_(ctx.precision().activation_bytes),
      group_(spec.comm_group) {}

Metrics CollectiveOp::own(Pass) const {
  const double elements = tokens_ * features_;  // T·F
  const double s = elements * ba_;              // S
  const double g = ranks_;
  Metrics m;
  m.comm_bytes = collective_bytes(kind_, s, g);                // per GPU, see the class page
  m.cuda_flops = collective_reduce_flops(kind_, elements, g);  // (g−1)/g·T·F adds (all-reduce, reduce-scatter)
  const double out = kind_ == Collective::ReduceScatter ? s / g : s;  // what the GPU holds afterwards
  const double in = kind_ == Collective::AllGather ? s / g : s;       // what it held before
  m.activation_bytes = g > 1 ? out : 0;
  m.live_bytes = g > 1 ? (kind_ == Collective::SendRecv ? s : in + out) : 0;
  return m;  // no Tensor-Core work, no DRAM bytes counted apart, no weights, no cache
}

std::string CollectiveOp::shapes() const {
  return "tokens=" + format_count(tokens_) + " features=" + format_count(features_) + " ranks=" + format_count(ranks_) +
         " group=" + comm_group_name(group_);
}

}  // namespace modelmeter::core::ops
