#include "vision/attention.hpp"

#include <algorithm>

#include "vision/resize_cost.hpp"

namespace deepseek_ocr {

namespace {
constexpr double kIndexBytes = 8;  // get_rel_pos indexes the tables with int64 coordinates
}  // namespace

Attention::Attention(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images_x_windows,
                     uint64_t side, uint64_t rel_pos_len)
    : grids_(images_x_windows),
      side_(side),
      heads_(v.sam_heads),
      head_dim_(v.sam_heads > 0 ? v.sam_embed_dim / v.sam_heads : 0),
      table_rows_(2 * rel_pos_len - 1),
      rows_(2 * side - 1),
      eager_(ctx.attention() == MM_ATTENTION_EAGER),
      shared_(ctx.shared_weights()),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {
  namespace ops = modelmeter::ops;
  if (images_x_windows == 0 || side == 0 || rel_pos_len == 0) {
    throw modelmeter::InvalidArgument("Attention needs images_x_windows, side and rel_pos_len > 0");
  }
  if (v.sam_heads == 0 || v.sam_embed_dim % v.sam_heads != 0) {
    throw modelmeter::InvalidArgument("Attention needs sam_heads > 0 dividing sam_embed_dim = " +
                                      std::to_string(v.sam_embed_dim));
  }
  const uint64_t n = side * side;                         // tokens per grid
  const double tokens = static_cast<double>(grids_ * n);  // W·n
  add_child("qkv", ops::linear(ctx, tokens, v.sam_embed_dim, 3 * v.sam_embed_dim, true));
  ops::AttentionShape a;
  a.batch = grids_;
  a.heads = heads_;
  a.head_dim = head_dim_;
  a.query_len = n;
  a.kv_len = n;
  a.causal = false;
  a.impl = ctx.attention();
  add_child("sdpa", ops::attention(ctx, a));
  add_child("proj", ops::linear(ctx, tokens, v.sam_embed_dim, v.sam_embed_dim, true));
}

modelmeter::Metrics Attention::own(modelmeter::Pass pass) const {
  const double W = static_cast<double>(grids_), H = static_cast<double>(heads_), C = static_cast<double>(head_dim_);
  const double S = static_cast<double>(side_), n = S * S, D = H * C;
  const double T = static_cast<double>(table_rows_);
  const double rho = rows_ != table_rows_ ? 1.0 : 0.0;  // ρ: the tables are resized
  const double sigma = grids_ > 1 ? 1.0 : 0.0;          // σ: the head split copies
  const double eps = eager_ ? 1.0 : 0.0;                // ε: eager attention
  const double owned = shared_ ? 0.0 : 1.0;             // π
  const resize::Cost rs = rho > 0 ? resize::linear_1d(table_rows_, rows_, head_dim_, bw_) : resize::Cost{};
  const double q = W * n * D;                             // elements of q (= of k, of v): W·H·n·C
  const double rel = W * H * n * S;                       // elements of rel_h (= of rel_w)
  const double bias = W * H * n * n;                      // W·H·E: bias entries = score entries
  const double einsum_flops = 2 * 2 * W * H * n * S * C;  // two einsums of W·H·n·S·C MACs

  // Bytes read / written by each forward kernel.
  const double tables_r = 2 * rs.read, tables_w = 2 * rs.written;                           // ρ: both resizes
  const double gather_r = 2 * (bw_ * n * C + kIndexBytes * n), gather_w = 2 * ba_ * n * C;  // Rh, Rw
  const double split_r = sigma * 3 * ba_ * q, split_w = split_r;                            // σ: qkv head split
  const double einsum_r = 2 * (ba_ * q + ba_ * n * C), einsum_w = 2 * ba_ * rel;            // q, R → rel_h, rel_w
  const double bias_r = 2 * ba_ * rel, bias_w = ba_ * bias;                                 // rel_h + rel_w
  const double mask_r = ba_ * bias * (1 + eps), mask_w = eps * ba_ * bias;                  // + bias inside SDPA

  modelmeter::Metrics m;                // kv_cache_bytes stays 0: no cache
  m.parameters = owned * 2 * T * C;     // rel_pos_h, rel_pos_w
  m.weight_bytes = bw_ * m.parameters;  // (backward: their gradients)
  if (pass == modelmeter::Pass::Forward) {
    m.tc_flops = einsum_flops;                         // rel_h, rel_w
    m.cuda_flops = 2 * rs.cuda_forward + bias + bias;  // resizes; rel_h + rel_w; scores + bias
    m.io_bytes = tables_r + tables_w + gather_r + gather_w + split_r + split_w + einsum_r + einsum_w + bias_r + bias_w +
                 mask_r + mask_w;  // every kernel's inputs and outputs once
    m.activation_bytes = tables_w + gather_w + split_w + einsum_w + bias_w + mask_w;  // everything written
    m.live_bytes = std::max({rs.live, ba_ * n * C + kIndexBytes * n + rho * bw_ * rows_ * C, split_r + split_w,
                             ba_ * (q + n * C + rel), bias_r + bias_w,
                             ba_ * (4 * q + bias * (1 + 2 * eps))});  // one kernel (SDPA: Q, K, V, O and the bias)
  } else {
    const double dgather_r = 2 * (ba_ * n * C + kIndexBytes * n + bw_ * n * C), dgather_w = 2 * bw_ * n * C;
    const double dacc_r = 3 * ba_ * q, dacc_w = ba_ * q;  // dq = Σ of three
    const double deinsum_r = 2 * (ba_ * rel + ba_ * q + ba_ * n * C), deinsum_w = 2 * (ba_ * q + ba_ * n * C);
    const double dbias_r = ba_ * bias, dbias_w = 2 * ba_ * rel;                             // d rel_h, d rel_w
    const double dmask_r = (1 - eps) * ba_ * bias, dmask_w = (1 - eps) * ba_ * bias;        // flash: bias, dBias
    m.tc_flops = 2 * einsum_flops;                                                          // dq and dR per einsum
    m.cuda_flops = 2 * rs.cuda_backward + 2 * n * C + 2 * q + 2 * bias + (1 - eps) * bias;  // see the table
    m.io_bytes = 2 * rs.io() + dgather_r + dgather_w + split_r + split_w + dacc_r + dacc_w + deinsum_r + deinsum_w +
                 dbias_r + dbias_w + dmask_r + dmask_w;  // every backward kernel's inputs and outputs once
    m.activation_bytes = 2 * (rs.read - rs.parameter_read) + rho * dgather_w + split_r + dacc_w + deinsum_w + dbias_w +
                         dmask_w;  // gradients written, the tables' own excluded
    m.live_bytes = std::max({rs.live, ba_ * n * C + kIndexBytes * n + rho * bw_ * rows_ * C, split_r + split_w,
                             dacc_r + dacc_w, deinsum_r + deinsum_w, dbias_r + dbias_w,
                             (1 - eps) * ba_ * (8 * q + 2 * bias)});  // one kernel (flash SDPA backward: + bias, dBias)
  }
  return m;
}

std::string Attention::shapes() const {
  return "grids=" + std::to_string(grids_) + " side=" + std::to_string(side_) +
         " tokens=" + std::to_string(side_ * side_) + " heads=" + std::to_string(heads_) +
         " head_dim=" + std::to_string(head_dim_) + " rel_pos=" + std::to_string(table_rows_) + "x" +
         std::to_string(head_dim_) + (rows_ != table_rows_ ? " (resized to " + std::to_string(rows_) + ")" : "") +
         " impl=" + (eager_ ? "eager" : "flash") + (shared_ ? " shared_weights" : "");
}

}  // namespace deepseek_ocr
