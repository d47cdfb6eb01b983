#include "scaled_dot_product_attention.hpp"

namespace modelmeter::core::ops {

ScaledDotProductAttention::ScaledDotProductAttention(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec),
      batch_(static_cast<double>(spec.batch)),
      heads_(static_cast<double>(spec.heads)),
      kv_heads_(static_cast<double>(spec.kv_heads > 0 ? spec.kv_heads : spec.heads)),
      head_dim_(static_cast<double>(spec.head_dim)),
      v_head_dim_(static_cast<double>(spec.v_head_dim > 0 ? spec.v_head_dim : spec.head_dim)),
      query_len_(static_cast<double>(spec.query_len)),
      kv_len_(static_cast<double>(spec.kv_len)),
      causal_(spec.causal != 0),
      grows_(spec.grows_per_step != 0),
      eager_(spec.impl == MM_ATTENTION_EAGER),
      kv_cache_(spec.writes_kv_cache != 0),
      kv_shared_(spec.kv_shared != 0),
      ba_(ctx.precision().activation_bytes),
      bk_(ctx.precision().kv_cache_bytes) {}

Metrics ScaledDotProductAttention::at_context(Pass pass, double context) const {
  const double b = batch_, h = heads_, hk = kv_heads_, dq = head_dim_, dv = v_head_dim_, q = query_len_;
  const double k = context;
  // E: score entries per (sequence, head); flash skips the masked upper triangle, eager computes it.
  const double entries = causal_ && !eager_ ? q * (k - q) + q * (q + 1) / 2 : q * k;
  const double scores = b * h * entries;                           // B·H·E
  const double q_elements = b * q * h * dq;                        // Q, dQ
  const double o_elements = b * q * h * dv;                        // O, dO
  const double kv_width = kv_shared_ ? dq : dq + dv;               // channels per cached position (MLA: dq)
  const double kv_elements = b * hk * k * kv_width;                // K and V over the context (dK, dV)
  const double new_kv = b * hk * q * kv_width;                     // K and V of the q new positions
  const double cache = indicator(kv_cache_);                       // χ
  const double eager = indicator(eager_);                          // ε
  const double b_kv = kv_cache_ ? bk_ : ba_;                       // K/V read from the cache or as activations
  const double kv_activations = kv_cache_ ? new_kv : kv_elements;  // Lk positions; the rest is KV cache

  Metrics m;  // no weights, no parameters
  if (pass == Pass::Forward) {
    m.tc_flops = 2 * scores * (dq + dv);  // QKᵀ and P·V, 2 FLOPs per MAC
    m.cuda_flops = 6 * scores;            // scale, max, subtract, exp, sum, divide per entry
    m.io_bytes = ba_ * q_elements + b_kv * kv_elements + ba_ * o_elements  // read Q, K, V; write O
                 + cache * bk_ * new_kv                                    // append the new K/V to the cache
                 + eager * 4 * ba_ * scores;                               // eager: write S, read S, write P, read P
    m.activation_bytes = ba_ * o_elements + eager * ba_ * scores;          // O (eager: P kept)
    m.kv_cache_bytes = cache * bk_ * kv_elements;                          // the cache after this step
    m.live_bytes = ba_ * (q_elements + kv_activations + o_elements) + eager * 2 * ba_ * scores;  // eager: S, P
  } else {
    const double flash = 1 - eager;
    m.tc_flops = eager_ ? 4 * scores * (dq + dv)          // dV, dP, dQ, dK: 2× forward
                        : scores * (6 * dq + 4 * dv);     // flash also recomputes QKᵀ
    m.cuda_flops = eager_ ? 5 * scores                    // dP·P, rowsum, subtract, ·P, scale
                          : 6 * scores + 2 * o_elements;  // recompute P (3), subtract, ·P, scale; rowsum(dO ⊙ O)
    m.io_bytes = ba_ * q_elements + b_kv * kv_elements + ba_ * o_elements          // read Q, K, V, dO
                 + flash * ba_ * o_elements                                        // flash: read O
                 + eager * 5 * ba_ * scores                                        // eager: P, dP (w, r), dS (w, r)
                 + ba_ * (q_elements + kv_elements);                               // write dQ, dK, dV
    m.activation_bytes = ba_ * (q_elements + kv_elements);                         // dQ, dK, dV
    m.kv_cache_bytes = 0;                                                          // the cache has no gradient
    m.live_bytes = ba_ * (q_elements + kv_activations + (1 + flash) * o_elements)  // Q, K/V, dO (flash: O)
                   + ba_ * (q_elements + kv_elements)                              // dQ, dK, dV
                   + eager * 3 * ba_ * scores;                                     // eager: P, dP, dS
  }
  return m;
}

Metrics ScaledDotProductAttention::own(Pass pass) const {
  return own_steps(pass, 0, 1);
}

Metrics ScaledDotProductAttention::own_steps(Pass pass, uint64_t first, uint64_t count) const {
  // Step s sees K = kv_len + s. Every flow metric is affine in K, so its sum over the n steps is n × its value
  // at the mean context: Σ (kv_len + s) = n·kv_len + n·first + n(n − 1)/2 = n·(kv_len + first + (n − 1)/2).
  const double n = static_cast<double>(count);
  const double growth = indicator(grows_);
  const double mean_context = kv_len_ + growth * (static_cast<double>(first) + (n - 1) / 2);
  const double last_context = kv_len_ + growth * (static_cast<double>(first) + n - 1);
  const Metrics flows = at_context(pass, mean_context).repeated_steps(n);
  Metrics m = at_context(pass, last_context);  // state metrics: the last step's (the maximum over the range)
  m.tc_flops = flows.tc_flops;
  m.cuda_flops = flows.cuda_flops;
  m.io_bytes = flows.io_bytes;
  return m;
}

std::string ScaledDotProductAttention::shapes() const {
  return "batch=" + format_count(batch_) + " heads=" + format_count(heads_) + " kv_heads=" + format_count(kv_heads_) +
         " head_dim=" + format_count(head_dim_) + " v_head_dim=" + format_count(v_head_dim_) +
         " query_len=" + format_count(query_len_) + " kv_len=" + format_count(kv_len_) + (grows_ ? "+step" : "") +
         " causal=" + yes_no(causal_) + " impl=" + (eager_ ? "eager" : "flash") + " kv_cache=" + yes_no(kv_cache_);
}

}  // namespace modelmeter::core::ops
