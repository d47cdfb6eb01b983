#include "llama/llama_rotary_embedding.hpp"

#include <modelmeter/blocks.hpp>

#include "shape_text.hpp"

namespace deepseek_ocr {

LlamaRotaryEmbedding::LlamaRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads,
                                           uint64_t k_heads, uint64_t rope_dim)
    : tokens_(tokens),
      q_heads_(static_cast<double>(q_heads)),
      k_heads_(static_cast<double>(k_heads)),
      rope_dim_(static_cast<double>(rope_dim)),
      ba_(ctx.precision().activation_bytes) {
  modelmeter::blocks::check_rotary_shape("LlamaRotaryEmbedding", tokens, q_heads + k_heads, rope_dim);
}

// The cos/sin table and rotation kernels (formulas on this class's page; shared through the SDK).
modelmeter::Metrics LlamaRotaryEmbedding::own(modelmeter::Pass pass) const {
  return modelmeter::blocks::rotary_embedding(pass, tokens_, q_heads_, k_heads_, rope_dim_, ba_);
}

std::string LlamaRotaryEmbedding::shapes() const {
  return "tokens=" + shape_text::count(tokens_) + " q_heads=" + shape_text::count(q_heads_) +
         " k_heads=" + shape_text::count(k_heads_) + " rope_dim=" + shape_text::count(rope_dim_);
}

}  // namespace deepseek_ocr
