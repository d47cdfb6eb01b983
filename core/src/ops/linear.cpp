#include "linear.hpp"

namespace modelmeter::core::ops {

Linear::Linear(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec),
      tokens_(spec.tokens),
      in_(static_cast<double>(spec.in_features)),
      out_(static_cast<double>(spec.out_features)),
      bias_(spec.bias != 0),
      groups_(spec.groups > 0 ? static_cast<double>(spec.groups) : 1.0),
      groups_touched_(spec.groups_touched > 0 ? spec.groups_touched : groups_),
      shared_(spec.shared_weights != 0),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {}

Metrics Linear::own(Pass pass) const {
  const double beta = indicator(bias_);
  const double group_params = in_ * out_ + beta * out_;  // W₁
  const MatmulCost cost{
      .macs = tokens_ * in_ * out_,                 // T·in·out
      .input_elements = tokens_ * in_,              // x: T·in
      .output_elements = tokens_ * out_,            // y: T·out
      .weight_read = groups_touched_ * in_ * out_,  // g·in·out: only the touched groups are read
      .bias_read = groups_touched_ * beta * out_,   // g·β·out
      .parameters = groups_ * group_params,         // P = G·W₁
      .bias_adds = beta * tokens_ * out_,           // β·T·out
  };
  const Metrics m = matmul_metrics(cost, bw_, ba_, pass);
  return shared_ ? without_owned_weights(m) : m;
}

std::string Linear::shapes() const {
  std::string s = "tokens=" + format_count(tokens_) + " in=" + format_count(in_) + " out=" + format_count(out_) +
                  " bias=" + yes_no(bias_);
  if (groups_ > 1) s += " groups=" + format_count(groups_) + " touched=" + format_count(groups_touched_);
  return s;
}

}  // namespace modelmeter::core::ops
