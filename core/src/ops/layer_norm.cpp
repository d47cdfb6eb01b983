#include "layer_norm.hpp"

namespace modelmeter::core::ops {

LayerNorm::LayerNorm(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec),
      tokens_(spec.tokens),
      features_(static_cast<double>(spec.features)),
      bias_(spec.bias != 0),
      shared_(spec.shared_weights != 0),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {}

Metrics LayerNorm::own(Pass pass) const {
  const double beta = indicator(bias_);
  const double normalise = 5;                 // mean 1, centre 1, variance 2, scale by 1/√(σ² + ε) 1
  const double affine = 1 + beta;             // γ multiply, β add
  const double forward = normalise + affine;  // c
  const NormCost cost{
      .forward_flops = forward,
      .backward_flops = 2 * forward,  // 2× forward
      .weight_vectors = 1 + beta,     // γ, β
  };
  const Metrics m = norm_metrics(tokens_, features_, bw_, ba_, cost, pass);
  return shared_ ? without_owned_weights(m) : m;
}

std::string LayerNorm::shapes() const {
  return "tokens=" + format_count(tokens_) + " features=" + format_count(features_) + " bias=" + yes_no(bias_);
}

}  // namespace modelmeter::core::ops
