#include "vit_layer.hpp"

#include "vit_attention.hpp"
#include "vit_mlp.hpp"

namespace vit {

VitLayer::VitLayer(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape) {
  namespace ops = modelmeter::ops;
  const double rows = shape.rows();
  const uint64_t h = cfg.hidden_size;
  add_child("layernorm_before", ops::layer_norm(ctx, rows, h, true));
  add_child("attention", modelmeter::make_layer<VitAttention>(ctx, cfg, shape), 1, "encoder attention");
  add_child("attention_residual", ops::add(ctx, rows, h));
  add_child("layernorm_after", ops::layer_norm(ctx, rows, h, true));
  add_child("mlp", modelmeter::make_layer<VitMlp>(ctx, h, cfg.intermediate_size, rows), 1, "encoder MLP");
  add_child("mlp_residual", ops::add(ctx, rows, h));
  shapes_ = "images=" + std::to_string(shape.images) + " tokens=" + std::to_string(shape.tokens) +
            " hidden=" + std::to_string(h) + " intermediate=" + std::to_string(cfg.intermediate_size);
}

}  // namespace vit
