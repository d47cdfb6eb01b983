#pragma once

#include "example_config.hpp"

namespace example {

inline constexpr char kExampleModelDoc[] = R"(# ExampleModel

The root of the example transformer: token embedding, `layers` identical TransformerBlocks (declared once with
a repeat count), a final RMSNorm and the LM head `Linear(h → vocab)` without bias.

The LM head runs on the last position of each sequence only (prefill) or on the one new token (decode): serving
engines compute only the logits they sample from.

Conventions: see docs/metrics.md.
)";

class ExampleModel final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(ExampleModel, MM_CATEGORY_COMPOSITE, kExampleModelDoc)
  ExampleModel(const modelmeter::StageContext& ctx, const ExampleConfig& cfg, const StageShape& shape);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace example
