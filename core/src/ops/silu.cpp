#include "silu.hpp"

namespace modelmeter::core::ops {

namespace {
// y = x·σ(x); dX = dY·s·(1 + x·(1 − s)) with s = σ(x).
constexpr ElementwiseCost kSiLU{
    .forward_flops = 4,    // σ(x) 3 (exp, add, reciprocal), x·σ 1
    .backward_flops = 8,   // s 3, s·(1 + x·(1 − s)) 4, ·dY 1
    .forward_reads = 1,    // x
    .forward_writes = 1,   // y
    .backward_reads = 2,   // x, dY
    .backward_writes = 1,  // dX
};
}  // namespace

SiLU::SiLU(const modelmeter::StageContext& ctx, const mm_op_spec& spec) : CoreOp(ctx, spec), shape_(ctx, spec) {}

Metrics SiLU::own(Pass pass) const {
  return elementwise_metrics(shape_, kSiLU, pass);
}

std::string SiLU::shapes() const {
  return shape_.describe();
}

}  // namespace modelmeter::core::ops
