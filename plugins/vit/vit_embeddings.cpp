#include "vit_embeddings.hpp"

namespace vit {

VitEmbeddings::VitEmbeddings(const modelmeter::StageContext& ctx, const VitConfig& cfg, const VitShape& shape)
    : images_(static_cast<double>(shape.images)),
      patches_(static_cast<double>(shape.grid * shape.grid)),
      tokens_(static_cast<double>(shape.tokens)),
      hidden_(static_cast<double>(cfg.hidden_size)),
      table_(static_cast<double>(shape.table_positions)),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {
  if (shape.grid == 0) {
    throw modelmeter::InvalidArgument("VitEmbeddings: image size " + std::to_string(shape.image_size) +
                                      " is smaller than one patch (" + std::to_string(cfg.patch_size) + ")");
  }
  add_child("patch_embeddings",
            modelmeter::ops::conv2d(ctx, shape.images, cfg.num_channels, cfg.hidden_size, shape.image_size,
                                    shape.image_size, cfg.patch_size, cfg.patch_size, 0, true));
  shapes_ = "images=" + std::to_string(shape.images) + " image=" + std::to_string(shape.image_size) + "x" +
            std::to_string(shape.image_size) + " channels=" + std::to_string(cfg.num_channels) +
            " patch=" + std::to_string(cfg.patch_size) + " patches=" + std::to_string(shape.grid * shape.grid) +
            " tokens=" + std::to_string(shape.tokens) + " hidden=" + std::to_string(cfg.hidden_size) +
            " position_table=" + std::to_string(shape.table_positions);
}

modelmeter::Metrics VitEmbeddings::own(modelmeter::Pass pass) const {
  const double B = images_, N = patches_, T = tokens_, h = hidden_;
  const double params = h + table_ * h;  // CLS token + position table
  modelmeter::Metrics m;
  m.parameters = params;
  m.weight_bytes = bw_ * params;
  m.live_bytes = ba_ * B * (N + T) * h;
  if (pass == modelmeter::Pass::Forward) {
    m.cuda_flops = B * T * h;                                                 // position add
    m.io_bytes = ba_ * B * N * h + bw_ * (table_ + 1) * h + ba_ * B * T * h;  // patches, table + CLS, tokens
    m.activation_bytes = ba_ * B * T * h;
  } else {
    m.cuda_flops = B * T * h + B * h;                                         // dpos, dCLS summed over B
    m.io_bytes = ba_ * B * T * h + ba_ * B * N * h + bw_ * (table_ + 1) * h;  // dY; dX, dpos, dCLS
    m.activation_bytes = ba_ * B * N * h;
  }
  return m;
}

}  // namespace vit
