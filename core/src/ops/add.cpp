#include "add.hpp"

namespace modelmeter::core::ops {

namespace {
// y = a + b; dA = dB = dY.
constexpr ElementwiseCost kAdd{
    .forward_flops = 1,    // a + b
    .backward_flops = 0,   // no arithmetic: both gradients are dY
    .forward_reads = 2,    // a, b
    .forward_writes = 1,   // y
    .backward_reads = 1,   // dY
    .backward_writes = 2,  // dA, dB
};
}  // namespace

Add::Add(const modelmeter::StageContext& ctx, const mm_op_spec& spec) : CoreOp(ctx, spec), shape_(ctx, spec) {}

Metrics Add::own(Pass pass) const {
  return elementwise_metrics(shape_, kAdd, pass);
}

std::string Add::shapes() const {
  return shape_.describe();
}

}  // namespace modelmeter::core::ops
