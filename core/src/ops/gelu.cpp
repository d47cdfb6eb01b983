#include "gelu.hpp"

namespace modelmeter::core::ops {

namespace {
// exact: ½·x·(1 + erf(x/√2)); dX = dY·(Φ(x) + x·φ(x)). erf counts 4 FLOPs.
constexpr ElementwiseCost kExact{
    .forward_flops = 8,    // x/√2 1, erf 4, 1 + erf 1, x·(…) 1, ½·(…) 1
    .backward_flops = 14,  // Φ(x) 7, x·φ(x) 5, sum 1, ·dY 1
    .forward_reads = 1,    // x
    .forward_writes = 1,   // y
    .backward_reads = 2,   // x, dY
    .backward_writes = 1,  // dX
};
// quick: x·σ(1.702·x); dX = dY·(s + u·s·(1 − s)) with u = 1.702·x, s = σ(u).
constexpr ElementwiseCost kQuick{
    .forward_flops = 5,   // u 1, σ(u) 3 (exp, add, reciprocal), x·σ 1
    .backward_flops = 9,  // u and s 4, s + u·s·(1 − s) 4, ·dY 1
    .forward_reads = 1,
    .forward_writes = 1,
    .backward_reads = 2,
    .backward_writes = 1,
};
}  // namespace

GELU::GELU(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec), shape_(ctx, spec), quick_(spec.quick_gelu != 0) {}

Metrics GELU::own(Pass pass) const {
  return elementwise_metrics(shape_, quick_ ? kQuick : kExact, pass);
}

std::string GELU::shapes() const {
  return shape_.describe() + " variant=" + (quick_ ? "quick" : "exact");
}

}  // namespace modelmeter::core::ops
