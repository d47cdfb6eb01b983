#include "hf_sliding_window_attention.hpp"

#include <algorithm>
#include <modelmeter/blocks.hpp>

namespace hf_decoder {

namespace {

modelmeter::Metrics metrics_of(const modelmeter::LayerPtr& layer, modelmeter::Pass pass, uint64_t first,
                               uint64_t count) {
  return modelmeter::blocks::own_metrics(layer.get(), pass, first, count);  // a core op: all its metrics
}

void add_flows(modelmeter::Metrics& sum, const modelmeter::Metrics& m) {
  sum.tc_flops += m.tc_flops;
  sum.cuda_flops += m.cuda_flops;
  sum.io_bytes += m.io_bytes;
}

}  // namespace

HfSlidingWindowAttention::HfSlidingWindowAttention(const modelmeter::StageContext& ctx,
                                                   const modelmeter::ops::AttentionShape& a, uint64_t window)
    : decode_(a.grows_per_step) {
  namespace ops = modelmeter::ops;
  if (window == 0) throw modelmeter::InvalidArgument("HfSlidingWindowAttention needs a window >= 1");
  if (decode_) {
    // Step s sees kv_len + s positions; from the step where that passes W on, the context is W.
    capped_from_ = a.kv_len > window ? 0 : window - a.kv_len + 1;
    if (capped_from_ > 0) parts_[0] = ops::attention(ctx, a);
    ops::AttentionShape capped = a;
    capped.kv_len = window;
    capped.grows_per_step = false;
    parts_[1] = ops::attention(ctx, capped);
  } else if (a.query_len <= window || a.impl == MM_ATTENTION_EAGER || !a.causal) {
    parts_[0] = ops::attention(ctx, a);
  } else {
    // Prefill past the window: a causal W×W block, then (q − W) queries over exactly W keys each.
    ops::AttentionShape head = a;
    head.query_len = window;
    head.kv_len = window;
    parts_[0] = ops::attention(ctx, head);
    ops::AttentionShape tail = a;
    tail.query_len = a.query_len - window;
    tail.kv_len = window;
    tail.causal = false;
    tail.writes_kv_cache = false;
    parts_[1] = ops::attention(ctx, tail);
  }
  shapes_ = "batch=" + std::to_string(a.batch) + " heads=" + std::to_string(a.heads) +
            " kv_heads=" + std::to_string(a.kv_heads) + " head_dim=" + std::to_string(a.head_dim) +
            " query_len=" + std::to_string(a.query_len) + " kv_len=" + std::to_string(a.kv_len) +
            (decode_ ? "+step" : "") + " window=" + std::to_string(window) +
            " impl=" + (a.impl == MM_ATTENTION_EAGER ? "eager" : "flash");
}

modelmeter::Metrics HfSlidingWindowAttention::own(modelmeter::Pass pass) const {
  return own_steps(pass, 0, 1);
}

modelmeter::Metrics HfSlidingWindowAttention::own_steps(modelmeter::Pass pass, uint64_t first, uint64_t count) const {
  if (!decode_) {  // prefill: one step, the parts side by side; state metrics add (both blocks are live)
    modelmeter::Metrics m = metrics_of(parts_[0], pass, 0, 1);
    if (parts_[1]) {
      const modelmeter::Metrics tail = metrics_of(parts_[1], pass, 0, 1);
      add_flows(m, tail);
      m.activation_bytes += tail.activation_bytes;
      m.live_bytes = std::max(m.live_bytes, tail.live_bytes);
    }
    return m.repeated_steps(static_cast<double>(count));
  }
  const uint64_t end = first + count;
  const uint64_t growing_end = std::min(end, capped_from_);  // steps [first, growing_end) below the window
  modelmeter::Metrics flows;
  modelmeter::Metrics last;
  if (growing_end > first) {
    last = metrics_of(parts_[0], pass, first, growing_end - first);
    add_flows(flows, last);
  }
  const uint64_t capped_begin = std::max(first, capped_from_);
  if (end > capped_begin) {
    last = metrics_of(parts_[1], pass, 0, end - capped_begin);
    add_flows(flows, last);
  }
  last.tc_flops = flows.tc_flops;  // state metrics: the last step's
  last.cuda_flops = flows.cuda_flops;
  last.io_bytes = flows.io_bytes;
  return last;
}

}  // namespace hf_decoder
