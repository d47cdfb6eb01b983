// The common base of core's generic operators: each keeps the spec and precision it was created with, so the
// engine can map it to the kernel it runs as (docs/calibration.md, "Kernels, not ops").
#pragma once

#include <modelmeter/abi.h>

#include <modelmeter/sdk.hpp>

namespace modelmeter::core::ops {

class CoreOp : public modelmeter::BaseLayer {
 public:
  const mm_op_spec& spec() const noexcept { return spec_; }
  const mm_precision& precision() const noexcept { return precision_; }

 protected:
  CoreOp(const modelmeter::StageContext& ctx, const mm_op_spec& spec) : spec_(spec), precision_(ctx.precision()) {}

 private:
  mm_op_spec spec_;
  mm_precision precision_;
};

// The core op behind `layer`, or null when another library made it (a plugin's own layer class).
const CoreOp* core_op_of(const mm_layer* layer) noexcept;

}  // namespace modelmeter::core::ops
