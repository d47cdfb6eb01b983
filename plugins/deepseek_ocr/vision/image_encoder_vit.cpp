#include "vision/image_encoder_vit.hpp"

#include <algorithm>
#include <vector>

#include "vision/block.hpp"
#include "vision/layer_norm2d.hpp"
#include "vision/patch_embed.hpp"
#include "vision/resize_cost.hpp"

namespace deepseek_ocr {

namespace {
// "blocks.2" for one block, "blocks.{0,1,3}" for a group of identical ones.
std::string block_group_name(const std::vector<uint64_t>& indices) {
  if (indices.size() == 1) return "blocks." + std::to_string(indices.front());
  std::string name = "blocks.{";
  for (std::size_t i = 0; i < indices.size(); ++i) name += (i > 0 ? "," : "") + std::to_string(indices[i]);
  return name + "}";
}

// Output side of a 3×3, stride-2, padding-1 convolution.
uint64_t stride2_out(uint64_t side) {
  return (side + 2 - 3) / 2 + 1;
}
}  // namespace

ImageEncoderViT::ImageEncoderViT(const modelmeter::StageContext& ctx, const VisionConfig& v, const ViewShape& view)
    : images_(view.images),
      grid_(view.sam_grid(v)),
      pos_grid_(v.sam_pos_grid),
      dim_(v.sam_embed_dim),
      shared_(ctx.shared_weights()),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {
  namespace ops = modelmeter::ops;
  const uint64_t cell = v.sam_patch * 4;  // the patch, then two stride-2 convolutions
  if (view.images == 0 || view.size == 0 || v.sam_patch == 0 || view.size % cell != 0) {
    throw modelmeter::InvalidArgument("ImageEncoderViT needs images > 0 and a view size that is a multiple of " +
                                      std::to_string(cell) + ", got size " + std::to_string(view.size));
  }
  std::vector<uint64_t> windowed, global;
  for (uint64_t i = 0; i < v.sam_depth; ++i) {
    const bool is_global =
        std::find(v.sam_global_blocks.begin(), v.sam_global_blocks.end(), i) != v.sam_global_blocks.end();
    (is_global ? global : windowed).push_back(i);
  }
  for (uint64_t i : v.sam_global_blocks) {
    if (i >= v.sam_depth) {
      throw modelmeter::InvalidArgument("ImageEncoderViT: global block index " + std::to_string(i) +
                                        " is not below sam_depth = " + std::to_string(v.sam_depth));
    }
  }

  const uint64_t g = grid_, B = images_;
  add_child("patch_embed", modelmeter::make_layer<PatchEmbed>(ctx, v, B, view.size));
  if (!windowed.empty()) {
    add_child(block_group_name(windowed), modelmeter::make_layer<Block>(ctx, v, view, v.sam_window),
              static_cast<double>(windowed.size()));
  }
  if (!global.empty()) {
    add_child(block_group_name(global), modelmeter::make_layer<Block>(ctx, v, view, 0),
              static_cast<double>(global.size()));
  }
  const uint64_t c = v.sam_out_chans;
  add_child("neck.0", ops::conv2d(ctx, B, dim_, c, g, g, 1, 1, 0, false));
  add_child("neck.1", modelmeter::make_layer<LayerNorm2d>(ctx, B, c, g, g));
  add_child("neck.2", ops::conv2d(ctx, B, c, c, g, g, 3, 1, 1, false));
  add_child("neck.3", modelmeter::make_layer<LayerNorm2d>(ctx, B, c, g, g));
  add_child("net_2", ops::conv2d(ctx, B, c, v.net_2_chans, g, g, 3, 2, 1, false));
  const uint64_t g2 = stride2_out(g);
  add_child("net_3", ops::conv2d(ctx, B, v.net_2_chans, v.net_3_chans, g2, g2, 3, 2, 1, false));
  const uint64_t out = stride2_out(g2);
  shapes_ = "images=" + std::to_string(B) + " size=" + std::to_string(view.size) + " grid=" + std::to_string(g) +
            " dim=" + std::to_string(dim_) + " out=" + std::to_string(v.net_3_chans) + "x" + std::to_string(out) + "x" +
            std::to_string(out) + (g != pos_grid_ ? " pos_embed=resized" : "") + (shared_ ? " shared_weights" : "");
}

modelmeter::Metrics ImageEncoderViT::own(modelmeter::Pass pass) const {
  const double B = static_cast<double>(images_), D = static_cast<double>(dim_);
  const double g2 = static_cast<double>(grid_ * grid_);  // grid positions per image
  const double G2 = static_cast<double>(pos_grid_ * pos_grid_);
  const double owned = shared_ ? 0.0 : 1.0;  // π
  const resize::Cost rs = grid_ != pos_grid_ ? resize::bicubic_aa(pos_grid_, grid_, dim_, bw_) : resize::Cost{};
  const double add_r = ba_ * B * g2 * D + bw_ * g2 * D, add_w = ba_ * B * g2 * D;  // x + pos (broadcast)

  modelmeter::Metrics m;                // tc_flops and kv_cache_bytes stay 0: no matmul, no cache
  m.parameters = owned * G2 * D;        // pos_embed
  m.weight_bytes = bw_ * m.parameters;  // (backward: its gradient)
  if (pass == modelmeter::Pass::Forward) {
    m.cuda_flops = B * g2 * D + rs.cuda_forward;  // position adds; the resize's multiply-adds
    m.io_bytes = rs.io() + add_r + add_w;         // casts and resize; the add
    m.activation_bytes = rs.written + add_w;      // the resized table and its fp32 copies; x + pos
    m.live_bytes = std::max(rs.live, ba_ * 2 * B * g2 * D + (grid_ != pos_grid_ ? bw_ * g2 * D : 0.0));  // one kernel
  } else {
    const double dpos_r = ba_ * B * g2 * D, dpos_w = bw_ * g2 * D;  // d pos = Σ_images dY
    m.cuda_flops = B * g2 * D + rs.cuda_backward;                   // the sum; the resize adjoint
    m.io_bytes = dpos_r + dpos_w + rs.io();                         // the sum; the resize's bytes moved back
    m.activation_bytes = (grid_ != pos_grid_ ? dpos_w : 0.0) + rs.read - rs.parameter_read;  // not the param's grad
    m.live_bytes = std::max(dpos_r + dpos_w, rs.live);                                       // one kernel
  }
  return m;
}

}  // namespace deepseek_ocr
