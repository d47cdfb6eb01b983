#include "softmax.hpp"

namespace modelmeter::core::ops {

namespace {
// y = e^(x − max) / Σ e^(x − max); dX = y ⊙ (dY − Σ dY ⊙ y).
constexpr ElementwiseCost kSoftmax{
    .forward_flops = 5,    // max 1, subtract 1, exp 1, sum 1, divide 1
    .backward_flops = 4,   // dY·y 1, sum 1, subtract 1, ·y 1
    .forward_reads = 1,    // x
    .forward_writes = 1,   // y
    .backward_reads = 2,   // y, dY
    .backward_writes = 1,  // dX
};
}  // namespace

Softmax::Softmax(const modelmeter::StageContext& ctx, const mm_op_spec& spec) : CoreOp(ctx, spec), shape_(ctx, spec) {}

Metrics Softmax::own(Pass pass) const {
  return elementwise_metrics(shape_, kSoftmax, pass);
}

std::string Softmax::shapes() const {
  return shape_.describe();
}

}  // namespace modelmeter::core::ops
