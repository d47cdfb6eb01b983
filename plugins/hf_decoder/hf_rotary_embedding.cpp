#include "hf_rotary_embedding.hpp"

namespace hf_decoder {

HfRotaryEmbedding::HfRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads,
                                     uint64_t k_heads, uint64_t rope_dim)
    : RotaryEmbeddingLayer(ctx, kLayerClassName, tokens, q_heads, k_heads, rope_dim) {}

}  // namespace hf_decoder
