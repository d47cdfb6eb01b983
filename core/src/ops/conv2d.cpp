#include "conv2d.hpp"

#include <limits>

namespace modelmeter::core::ops {

uint64_t conv2d_output_size(uint64_t in, uint64_t kernel, uint64_t stride, uint64_t padding) noexcept {
  if (padding > (std::numeric_limits<uint64_t>::max() - in) / 2) return 0;
  const uint64_t padded = in + 2 * padding;
  return padded < kernel ? 0 : (padded - kernel) / stride + 1;
}

Conv2d::Conv2d(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec),
      batch_(spec.batch),
      in_channels_(spec.in_features),
      out_channels_(spec.out_features),
      in_h_(spec.in_h),
      in_w_(spec.in_w),
      kernel_h_(spec.kernel_h),
      kernel_w_(spec.kernel_w),
      stride_(spec.stride),
      padding_(spec.padding),
      out_h_(conv2d_output_size(spec.in_h, spec.kernel_h, spec.stride, spec.padding)),
      out_w_(conv2d_output_size(spec.in_w, spec.kernel_w, spec.stride, spec.padding)),
      bias_(spec.bias != 0),
      shared_(spec.shared_weights != 0),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {}

Metrics Conv2d::own(Pass pass) const {
  const double b = static_cast<double>(batch_);
  const double cin = static_cast<double>(in_channels_);
  const double cout = static_cast<double>(out_channels_);
  const double in_pixels = static_cast<double>(in_h_) * static_cast<double>(in_w_);       // H·W
  const double out_pixels = static_cast<double>(out_h_) * static_cast<double>(out_w_);    // Ho·Wo
  const double window = static_cast<double>(kernel_h_) * static_cast<double>(kernel_w_);  // kh·kw
  const double beta = indicator(bias_);
  const double kernel_weights = cout * cin * window;  // K
  const MatmulCost cost{
      .macs = b * out_pixels * cout * cin * window,  // B·Ho·Wo·Cout·Cin·kh·kw
      .input_elements = b * cin * in_pixels,         // x: B·Cin·H·W
      .output_elements = b * cout * out_pixels,      // y: B·Cout·Ho·Wo
      .weight_read = kernel_weights,                 // K
      .bias_read = beta * cout,                      // β·Cout
      .parameters = kernel_weights + beta * cout,    // P = K + β·Cout
      .bias_adds = beta * b * cout * out_pixels,     // β·B·Cout·Ho·Wo
  };
  const Metrics m = matmul_metrics(cost, bw_, ba_, pass);
  return shared_ ? without_owned_weights(m) : m;
}

std::string Conv2d::shapes() const {
  const auto n = [](uint64_t v) { return std::to_string(v); };
  return "batch=" + n(batch_) + " in=" + n(in_channels_) + " out=" + n(out_channels_) + " input=" + n(in_h_) + "x" +
         n(in_w_) + " kernel=" + n(kernel_h_) + "x" + n(kernel_w_) + " stride=" + n(stride_) +
         " padding=" + n(padding_) + " output=" + n(out_h_) + "x" + n(out_w_) + " bias=" + yes_no(bias_);
}

}  // namespace modelmeter::core::ops
