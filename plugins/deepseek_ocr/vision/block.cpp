#include "vision/block.hpp"

#include "vision/attention.hpp"
#include "vision/mlp_block.hpp"

namespace deepseek_ocr {

Block::Block(const modelmeter::StageContext& ctx, const VisionConfig& v, const ViewShape& view, uint64_t window)
    : images_(view.images),
      grid_(view.sam_grid(v)),
      window_(window),
      padded_(window > 0 ? (view.sam_grid(v) + window - 1) / window * window : view.sam_grid(v)),
      dim_(v.sam_embed_dim),
      ba_(ctx.precision().activation_bytes) {
  namespace ops = modelmeter::ops;
  if (images_ == 0 || grid_ == 0) throw modelmeter::InvalidArgument("Block needs images > 0 and a view of >= 1 patch");
  const double tokens = static_cast<double>(images_ * grid_ * grid_);  // B·g²
  add_child("norm1", ops::layer_norm(ctx, tokens, dim_, true));
  if (window_ > 0) {
    const uint64_t windows = (padded_ / window_) * (padded_ / window_);  // per image
    add_child("attn", modelmeter::make_layer<Attention>(ctx, v, images_ * windows, window_, window_));
  } else {
    add_child("attn", modelmeter::make_layer<Attention>(ctx, v, images_, grid_, v.sam_pos_grid));
  }
  add_child("residual_1", ops::add(ctx, tokens, dim_));
  add_child("norm2", ops::layer_norm(ctx, tokens, dim_, true));
  add_child("mlp", modelmeter::make_layer<MLPBlock>(ctx, v, tokens));
  add_child("residual_2", ops::add(ctx, tokens, dim_));
}

modelmeter::Metrics Block::own(modelmeter::Pass pass) const {
  modelmeter::Metrics m;  // a global block has no glue: every own metric is a true 0
  if (window_ == 0) return m;
  const double bd = ba_ * static_cast<double>(images_ * dim_);  // bytes per grid position over the images
  const double g2 = static_cast<double>(grid_ * grid_), gp2 = static_cast<double>(padded_ * padded_);
  const double nu = padded_ > grid_ ? 1.0 : 0.0;              // ν: padding and cropping happen
  const double pad_r = nu * bd * g2, pad_w = nu * bd * gp2;   // F.pad to gp×gp
  const double part_r = bd * gp2, part_w = bd * gp2;          // window_partition's contiguous copy
  const double unpart_r = bd * gp2, unpart_w = bd * gp2;      // window_unpartition's contiguous copy
  const double crop_r = nu * bd * g2, crop_w = nu * bd * g2;  // crop back to g×g
  const double read = pad_r + part_r + unpart_r + crop_r, written = pad_w + part_w + unpart_w + crop_w;
  m.io_bytes = read + written;                                              // both passes: the same bytes move
  m.activation_bytes = pass == modelmeter::Pass::Forward ? written : read;  // outputs; backward: the gradients
  m.live_bytes = 2 * bd * gp2;                                              // the largest copy: partition / unpartition
  return m;
}

std::string Block::shapes() const {
  const std::string base =
      "images=" + std::to_string(images_) + " grid=" + std::to_string(grid_) + " dim=" + std::to_string(dim_);
  if (window_ == 0) return base + " attention=global";
  const uint64_t per_side = padded_ / window_;
  return base + " window=" + std::to_string(window_) + " padded=" + std::to_string(padded_) +
         " windows=" + std::to_string(per_side * per_side);
}

}  // namespace deepseek_ocr
