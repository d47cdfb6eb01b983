// The example plugin: workload keys, plan and stage building. Everything is registered with one macro.
#include <modelmeter/blocks.hpp>

#include "example_model.hpp"
#include "feed_forward.hpp"
#include "self_attention.hpp"
#include "transformer_block.hpp"

namespace example {

struct ExamplePlugin {
  static constexpr const char* kName = "example_transformer";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription = "A small decoder-only transformer built from core's generic ops";
  static constexpr mm_key_decl kKeys[] = {
      modelmeter::key_int("model.hidden", "256", 1, 1 << 20, "hidden size h"),
      modelmeter::key_int("model.heads", "4", 1, 4096, "attention heads (must divide hidden)"),
      modelmeter::key_int("model.ffn", "1024", 1, 1 << 22, "feed-forward size"),
      modelmeter::key_int("model.layers", "2", 1, 4096, "transformer blocks"),
      modelmeter::key_int("model.vocab", "32000", 1, 1 << 24, "vocabulary size"),
      modelmeter::key_int("model.max_positions", "4096", 1, 1 << 30, "maximum context length"),
  };

  // Tensor and pipeline parallelism through the SDK's building blocks (docs/parallelism.md). The model has no
  // experts, so no MM_PARALLEL_EP: the host refuses parallel.ep > 1 naming this plugin.
  static constexpr uint32_t kParallel = MM_PARALLEL_TP | MM_PARALLEL_PP;

  static mm_plan plan(const modelmeter::Config& config) {
    const ExampleConfig cfg = ExampleConfig::from(config);  // validates heads | hidden
    const modelmeter::blocks::Sharding sh = modelmeter::blocks::sharding(config);
    modelmeter::blocks::require_divides("parallel.tp", sh.tp, "model.heads", cfg.heads);
    modelmeter::blocks::require_divides("parallel.tp", sh.tp, "model.ffn", cfg.ffn);
    modelmeter::blocks::require_pipeline_layers(sh.pp, "model.layers", cfg.layers);
    mm_plan p{};
    p.prefill_tokens = static_cast<uint64_t>(config.get_int("prompt.text_tokens"));
    p.max_positions = cfg.max_positions;
    p.has_vision = 0;
    p.default_attention = MM_ATTENTION_FLASH;
    p.model_name = "example-transformer";
    return p;
  }

  static modelmeter::LayerPtr build(const modelmeter::StageContext& ctx) {
    if (ctx.stage() == MM_STAGE_VISION) return {};  // no vision stage
    const ExampleConfig cfg = ExampleConfig::from(ctx.config());
    const StageShape shape{ctx.batch(), ctx.query_tokens(), ctx.kv_len(), ctx.stage() == MM_STAGE_DECODE};
    return modelmeter::make_layer<ExampleModel>(ctx, cfg, shape);
  }
};

}  // namespace example

MODELMETER_MODEL_PLUGIN(example::ExamplePlugin, example::ExampleModel, example::TransformerBlock,
                        example::SelfAttention, example::FeedForward)
