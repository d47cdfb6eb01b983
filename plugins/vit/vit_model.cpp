#include "vit_model.hpp"

#include "vit_embeddings.hpp"
#include "vit_layer.hpp"

namespace vit {

VitModel::VitModel(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape) {
  namespace ops = modelmeter::ops;
  const double rows = shape.rows();
  add_child("embeddings", modelmeter::make_layer<VitEmbeddings>(ctx, cfg, shape), 1, "patch embedding");
  add_child("encoder.layer.{0.." + std::to_string(cfg.num_hidden_layers - 1) + "}",
            modelmeter::make_layer<VitLayer>(ctx, cfg, shape), static_cast<double>(cfg.num_hidden_layers),
            "encoder norms and residuals");
  add_child("layernorm", ops::layer_norm(ctx, rows, cfg.hidden_size, true), 1, "encoder norms and residuals");
  if (cfg.num_labels > 0) {
    add_child("classifier", ops::linear(ctx, static_cast<double>(shape.images), cfg.hidden_size, cfg.num_labels, true),
              1, "classifier head");
  }
  shapes_ = "model=" + cfg.model_name + " images=" + std::to_string(shape.images) +
            " image=" + std::to_string(shape.image_size) + " tokens=" + std::to_string(shape.tokens) +
            " layers=" + std::to_string(cfg.num_hidden_layers) + " labels=" + std::to_string(cfg.num_labels);
}

}  // namespace vit
