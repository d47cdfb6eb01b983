#include "llama/llama_rotary_embedding.hpp"

namespace deepseek_ocr {

LlamaRotaryEmbedding::LlamaRotaryEmbedding(const modelmeter::StageContext& ctx, double tokens, uint64_t q_heads,
                                           uint64_t k_heads, uint64_t rope_dim)
    : RotaryEmbeddingLayer(ctx, kLayerClassName, tokens, q_heads, k_heads, rope_dim) {}

}  // namespace deepseek_ocr
