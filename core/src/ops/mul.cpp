#include "mul.hpp"

namespace modelmeter::core::ops {

namespace {
// y = a ⊙ b; dA = dY ⊙ b, dB = dY ⊙ a.
constexpr ElementwiseCost kMul{
    .forward_flops = 1,    // a·b
    .backward_flops = 2,   // dY·b, dY·a
    .forward_reads = 2,    // a, b
    .forward_writes = 1,   // y
    .backward_reads = 3,   // dY, a, b
    .backward_writes = 2,  // dA, dB
};
}  // namespace

Mul::Mul(const modelmeter::StageContext& ctx, const mm_op_spec& spec) : CoreOp(ctx, spec), shape_(ctx, spec) {}

Metrics Mul::own(Pass pass) const {
  return elementwise_metrics(shape_, kMul, pass);
}

std::string Mul::shapes() const {
  return shape_.describe();
}

}  // namespace modelmeter::core::ops
