// HfDecoderModel: the whole causal LM of one stage (embedding, decoder layers, final norm, LM head).
#pragma once

#include <modelmeter/sdk.hpp>
#include <string>

#include "hf_config.hpp"

namespace hf_decoder {

// Counting conventions that are a choice (workload keys count.*, docs/hf-decoder.md).
struct Conventions {
  bool lm_head_all_tokens = false;  // count.lm_head = "all": logits for every prompt position (training-style)
  bool embedding_matmul = false;    // count.embedding = "matmul": the lookup counted as a one-hot matmul
};

inline constexpr char kHfDecoderModelDoc[] = R"(# HfDecoderModel

`*ForCausalLM` of one stage: token embedding, the decoder layers, the final norm and the LM head.

| child | class / op | shape |
|---|---|---|
| `embed_tokens` | core `Embedding` (a lookup: reads T rows), or with `count.embedding = "matmul"` a core `Linear` V → h (a one-hot matmul, 2·T·V·h FLOPs) | T tokens, V × h table |
| `layers.{a..b}` | `HfDecoderLayer`, repeated (consecutive layers of the same kind, dense or MoE, are one child) | see its page |
| `norm` | `HfRMSNorm` | T × h |
| `lm_head` | core `Linear` h → V; shares the embedding's weights with `tie_word_embeddings` (0 own parameters) | B rows (`count.lm_head = "last"`), or all T = B·q rows (`"all"`) |

T = B·q tokens of the step (prefill: the prompt; decode: one per sequence). Serving engines compute logits
only for the position they sample from (`last`, the default); `all` counts them for every prompt position, as
some analytic tools do. In decode both conventions are the same (q = 1).

No own ops. Conventions: see docs/metrics.md and docs/hf-decoder.md.
)";

class HfDecoderModel final : public modelmeter::BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(HfDecoderModel, MM_CATEGORY_COMPOSITE, kHfDecoderModelDoc)
  HfDecoderModel(const modelmeter::StageContext& ctx, const HfConfig& cfg, const Conventions& conv);
  std::string shapes() const override { return shapes_; }

 private:
  std::string shapes_;
};

}  // namespace hf_decoder
