#include "vision/clip_vision_embeddings.hpp"

#include <algorithm>
#include <cmath>

#include "vision/resize_cost.hpp"

namespace deepseek_ocr {

namespace {
constexpr double kPositionIdBytes = 8;  // position_ids: an int64 arange buffer
constexpr uint64_t kImageChannels = 3;  // RGB input of the (unused) patch convolution
}  // namespace

CLIPVisionEmbeddings::CLIPVisionEmbeddings(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images,
                                           uint64_t q)
    : images_(images),
      q_(q),
      hidden_(v.clip_hidden),
      positions_(v.clip_positions),
      grid0_(static_cast<uint64_t>(std::llround(std::sqrt(static_cast<double>(v.clip_positions) - 1.0)))),
      patch_conv_params_(static_cast<double>(kImageChannels * v.clip_hidden * v.clip_patch * v.clip_patch)),
      shared_(ctx.shared_weights()),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {
  if (images == 0 || q == 0) throw modelmeter::InvalidArgument("CLIPVisionEmbeddings needs images and q > 0");
  if (v.clip_positions < 2 || grid0_ * grid0_ + 1 != v.clip_positions) {
    throw modelmeter::InvalidArgument("CLIPVisionEmbeddings needs clip_positions = 1 + s² for a square grid, got " +
                                      std::to_string(v.clip_positions));
  }
}

modelmeter::Metrics CLIPVisionEmbeddings::own(modelmeter::Pass pass) const {
  const double B = static_cast<double>(images_), h = static_cast<double>(hidden_);
  const double q2 = static_cast<double>(q_ * q_);     // patch tokens per image
  const double n = 1 + q2;                            // N: CLS + patches
  const double p0 = static_cast<double>(positions_);  // P₀ rows of the position table
  const double rho = q_ != grid0_ ? 1.0 : 0.0;        // ρ: the table is resized
  const double owned = shared_ ? 0.0 : 1.0;           // π
  const resize::Cost rs = rho > 0 ? resize::bicubic_aa(grid0_, q_, hidden_, bw_) : resize::Cost{};

  // Bytes read / written by each forward kernel.
  const double lookup_r = bw_ * p0 * h + kPositionIdBytes * p0, lookup_w = bw_ * p0 * h;  // position_embedding(ids)
  const double grid_r = rho * bw_ * (p0 - 1) * h, grid_w = grid_r;              // .contiguous() of the 16×16 grid
  const double pcat_r = rho * bw_ * n * h, pcat_w = pcat_r;                     // cat(CLS position, resized grid)
  const double cat_r = bw_ * h + ba_ * B * q2 * h, cat_w = ba_ * B * n * h;     // cat(CLS, patch_embeds)
  const double add_r = ba_ * B * n * h + bw_ * n * h, add_w = ba_ * B * n * h;  // + positions
  const double read = lookup_r + grid_r + rs.read + pcat_r + cat_r + add_r;
  const double written = lookup_w + grid_w + rs.written + pcat_w + cat_w + add_w;

  modelmeter::Metrics m;                                     // tc_flops and kv_cache_bytes stay 0: no matmul, no cache
  m.parameters = owned * (h + patch_conv_params_ + p0 * h);  // CLS + unused patch conv + position table
  m.weight_bytes = bw_ * m.parameters;                       // (backward: their gradients)
  if (pass == modelmeter::Pass::Forward) {
    m.cuda_flops = B * n * h + rs.cuda_forward;  // position adds; the resize's multiply-adds
    m.io_bytes = read + written;                 // every kernel's inputs and outputs once
    m.activation_bytes = written;                // the table, its copies, the embeddings
    m.live_bytes = std::max({kPositionIdBytes * p0 + lookup_w, grid_r + grid_w, rs.live, pcat_r + pcat_w,
                             ba_ * B * q2 * h + cat_w, add_r + add_w});  // one kernel, parameters excluded
  } else {
    const double dadd_r = ba_ * B * n * h, dadd_w = bw_ * n * h;                 // d positions = Σ_images dY
    const double dcat_r = ba_ * B * n * h, dcat_w = ba_ * B * q2 * h + bw_ * h;  // d patch_embeds; d CLS = Σ dY[:, 0]
    const double dlookup_r = bw_ * p0 * h + kPositionIdBytes * p0, dlookup_w = bw_ * p0 * h;  // scatter-add
    m.cuda_flops = B * n * h + B * h + rs.cuda_backward + p0 * h;  // Σ_images (positions, CLS); adjoint; scatter
    m.io_bytes = dadd_r + dadd_w + dcat_r + dcat_w + pcat_r + pcat_w + rs.io() + grid_r + grid_w + dlookup_r +
                 dlookup_w;  // the copies and the resize move their bytes back
    m.activation_bytes = dadd_w + ba_ * B * q2 * h + pcat_w + rs.read + grid_w;  // gradients, the parameters' excluded
    m.live_bytes = std::max({dadd_r + dadd_w, dcat_r + ba_ * B * q2 * h, pcat_r + pcat_w, rs.live, grid_r + grid_w,
                             dlookup_r});  // one kernel, parameter gradients excluded
  }
  return m;
}

std::string CLIPVisionEmbeddings::shapes() const {
  return "images=" + std::to_string(images_) + " q=" + std::to_string(q_) + " tokens=" + std::to_string(1 + q_ * q_) +
         " hidden=" + std::to_string(hidden_) + " positions=" + std::to_string(positions_) +
         (q_ != grid0_ ? " (resized from " + std::to_string(grid0_) + "x" + std::to_string(grid0_) + ")" : "") +
         (shared_ ? " shared_weights" : "");
}

}  // namespace deepseek_ocr
