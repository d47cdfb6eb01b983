#include "rms_norm.hpp"

namespace modelmeter::core::ops {

RMSNorm::RMSNorm(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec),
      tokens_(spec.tokens),
      features_(static_cast<double>(spec.features)),
      shared_(spec.shared_weights != 0),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {}

Metrics RMSNorm::own(Pass pass) const {
  const double forward = 4;  // square 1, sum 1, scale by 1/√(mean + ε) 1, scale by γ 1
  const NormCost cost{
      .forward_flops = forward,
      .backward_flops = 2 * forward,  // 2× forward
      .weight_vectors = 1,            // γ
  };
  const Metrics m = norm_metrics(tokens_, features_, bw_, ba_, cost, pass);
  return shared_ ? without_owned_weights(m) : m;
}

std::string RMSNorm::shapes() const {
  return "tokens=" + format_count(tokens_) + " features=" + format_count(features_);
}

}  // namespace modelmeter::core::ops
