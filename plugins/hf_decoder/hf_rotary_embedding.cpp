#include "hf_rotary_embedding.hpp"

#include <modelmeter/blocks.hpp>

namespace hf_decoder {

HfRotaryEmbedding::HfRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads,
                                     uint64_t k_heads, uint64_t rope_dim)
    : tokens_(tokens),
      q_heads_(static_cast<double>(q_heads)),
      k_heads_(static_cast<double>(k_heads)),
      rope_dim_(static_cast<double>(rope_dim)),
      ba_(ctx.precision().activation_bytes) {
  modelmeter::blocks::check_rotary_shape("HfRotaryEmbedding", tokens, q_heads + k_heads, rope_dim);
}

// The table and rotation kernels (formulas on this class's page, docs/metrics.md §5).
modelmeter::Metrics HfRotaryEmbedding::own(modelmeter::Pass pass) const {
  return modelmeter::blocks::rotary_embedding(pass, tokens_, q_heads_, k_heads_, rope_dim_, ba_);
}

std::string HfRotaryEmbedding::shapes() const {
  using modelmeter::blocks::count_text;
  return "tokens=" + count_text(tokens_) + " q_heads=" + count_text(q_heads_) + " k_heads=" + count_text(k_heads_) +
         " rope_dim=" + count_text(rope_dim_);
}

}  // namespace hf_decoder
