#include "llama/llama_rotary_embedding.hpp"

#include <algorithm>

#include "shape_text.hpp"

namespace deepseek_ocr {

namespace {
constexpr double kPositionIdBytes = 4;  // position ids as int32, like token ids (docs/metrics.md §4)
constexpr double kInvFreqBytes = 4;     // inv_freq is an fp32 buffer
}  // namespace

LlamaRotaryEmbedding::LlamaRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads,
                                           uint64_t k_heads, uint64_t rope_dim)
    : tokens_(tokens),
      q_heads_(static_cast<double>(q_heads)),
      k_heads_(static_cast<double>(k_heads)),
      rope_dim_(static_cast<double>(rope_dim)),
      ba_(ctx.precision().activation_bytes) {
  if (!(tokens > 0)) throw modelmeter::InvalidArgument("LlamaRotaryEmbedding needs tokens > 0");
  if (q_heads + k_heads == 0) throw modelmeter::InvalidArgument("LlamaRotaryEmbedding needs at least one head");
  if (rope_dim == 0 || rope_dim % 2 != 0) {
    throw modelmeter::InvalidArgument("LlamaRotaryEmbedding needs an even rope_dim > 0, got " +
                                      std::to_string(rope_dim));
  }
}

modelmeter::Metrics LlamaRotaryEmbedding::own(modelmeter::Pass pass) const {
  const double t = tokens_, d = rope_dim_;
  const double rotated = t * (q_heads_ + k_heads_) * d;  // R = T·(Hq + Hk)·d
  const double table = t * d;                            // C = T·d, one of cos, sin

  modelmeter::Metrics m;  // no matmul, no weights, no cache: tc_flops, weight_bytes, parameters, kv stay 0
  if (pass == modelmeter::Pass::Forward) {
    const double table_io = kPositionIdBytes * t + kInvFreqBytes * d / 2 + 2 * ba_ * table;  // ids, inv_freq; cos, sin
    const double rotate_io = ba_ * rotated + 2 * ba_ * table + ba_ * rotated;  // read q/k, cos, sin; write q/k
    m.cuda_flops = table / 2 + 2 * table + 3 * rotated;  // angles d/2, cos + sin over d, 3 per rotated element
    m.io_bytes = table_io + rotate_io;                   // the two kernels, each input and output once
    m.activation_bytes = ba_ * (rotated + 2 * table);    // rotated q/k; cos, sin kept for backward
    m.live_bytes = std::max(kPositionIdBytes * t + 2 * ba_ * table,  // cos/sin kernel: ids in, tables out
                            ba_ * (2 * rotated + 2 * table));        // rotation: q/k in and out, cos, sin
  } else {
    m.cuda_flops = 3 * rotated;                                    // dy·cos + rotate_halfᵀ(dy·sin)
    m.io_bytes = ba_ * rotated + 2 * ba_ * table + ba_ * rotated;  // read dy, cos, sin; write dq, dk
    m.activation_bytes = ba_ * rotated;                            // dq, dk
    m.live_bytes = ba_ * (2 * rotated + 2 * table);                // dy, dx, cos, sin
  }
  return m;
}

std::string LlamaRotaryEmbedding::shapes() const {
  return "tokens=" + shape_text::count(tokens_) + " q_heads=" + shape_text::count(q_heads_) +
         " k_heads=" + shape_text::count(k_heads_) + " rope_dim=" + shape_text::count(rope_dim_);
}

}  // namespace deepseek_ocr
