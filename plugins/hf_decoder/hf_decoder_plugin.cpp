// The hf_decoder plugin: decoder-only LLMs described by a Hugging Face config.json. Its workload keys, its
// plan (token counts, context limit, model name) and its stages (prefill, decode; no vision).
#include <modelmeter/blocks.hpp>
#include <mutex>
#include <set>
#include <string>

#include "hf_attention.hpp"
#include "hf_config.hpp"
#include "hf_decoder_layer.hpp"
#include "hf_decoder_model.hpp"
#include "hf_mla_attention.hpp"
#include "hf_mlp.hpp"
#include "hf_rms_norm.hpp"
#include "hf_rotary_embedding.hpp"
#include "hf_sliding_window_attention.hpp"
#include "hf_sparse_moe_block.hpp"
#include "hf_top_k_router.hpp"

namespace hf_decoder {

namespace mm = modelmeter;

namespace {

// mm_plan.model_name must outlive the call: names are interned once per distinct model for the process's
// life (a handful of strings; not a cache of results).
const char* intern(const std::string& name) {
  static std::mutex mutex;
  static std::set<std::string> names;
  const std::lock_guard<std::mutex> lock(mutex);
  return names.insert(name).first->c_str();
}

// True the first time a file is seen in this process: the ignored-keys warning is given once per file, not once
// per sweep point (a log de-duplication; no result depends on it).
bool first_report(const std::string& file) {
  static std::mutex mutex;
  static std::set<std::string> files;
  const std::lock_guard<std::mutex> lock(mutex);
  return files.insert(file).second;
}

}  // namespace

struct HfDecoderPlugin {
  static constexpr const char* kName = "hf_decoder";
  static constexpr const char* kVersion = "0.1.0";
  // Generation, and training steps over sequences of prompt.text_tokens tokens (the forward stage: the whole
  // sequence once, no KV cache, the LM head on every position).
  static constexpr uint32_t kTasks = MM_TASK_BIT(MM_TASK_GENERATE) | MM_TASK_BIT(MM_TASK_TRAIN);
  static constexpr const char* kDescription =
      "decoder-only LLMs from a Hugging Face config.json: Llama 2/3, Mistral (sliding window), Qwen2, Mixtral "
      "(MoE), DeepSeek-V2 (MLA + MoE)";
  static constexpr mm_key_decl kKeys[] = {
      mm::key_string(
          "model.config", "\"llama-2-7b\"", nullptr,
          "the model: a bundled name (configs/models/<name>.json) or a path to a config.json; --model sets it"),
      mm::key_int("model.max_position_embeddings", nullptr, 1, 1LL << 40,
                  "what-if: raise the context limit (default: the config.json's max_position_embeddings)"),
      mm::key_string("count.lm_head", "\"last\"", "last|all",
                     "LM head rows at prefill: last (one position per sequence, as serving engines) or all"),
      mm::key_string("count.embedding", "\"lookup\"", "lookup|matmul",
                     "token embedding counted as a table lookup (no FLOPs) or as a one-hot matmul (2·T·V·h)"),
  };

  // Tensor, pipeline and expert parallelism through the SDK's building blocks (docs/parallelism.md).
  static constexpr uint32_t kParallel = MM_PARALLEL_TP | MM_PARALLEL_PP | MM_PARALLEL_EP;

  static HfConfig model(const mm::Config& c) { return HfConfig::load(c.get_string("model.config")); }

  static Conventions conventions(const mm::Config& c) {
    Conventions v;
    v.lm_head_all_tokens = c.get_string("count.lm_head") == "all";
    v.embedding_matmul = c.get_string("count.embedding") == "matmul";
    return v;
  }

  // The model's own divisibility under tensor parallelism (docs/parallelism.md); one line naming the key, its
  // value, the divisor and the allowed values.
  static void check_layout(const HfConfig& cfg, const mm::blocks::Sharding& sh) {
    using mm::blocks::require_divides;
    mm::blocks::require_pipeline_layers(sh.pp, "num_hidden_layers", cfg.num_hidden_layers);
    if (sh.ep > 1 && cfg.n_routed_experts == 0) {
      throw mm::InvalidArgument("parallel.ep = " + std::to_string(sh.ep) + " needs a mixture-of-experts model; " +
                                cfg.model_name + " has no routed experts (allowed: 1)");
    }
    if (sh.tp > 1) {
      require_divides("parallel.tp", sh.tp, "num_attention_heads", cfg.num_attention_heads);
      if (!cfg.mla) (void)mm::blocks::kv_heads_per_rank(cfg.num_key_value_heads, sh.tp);
      bool dense = false;
      for (uint64_t i = 0; i < cfg.num_hidden_layers && !dense; ++i) dense = !cfg.is_moe_layer(i);
      if (dense) require_divides("parallel.tp", sh.tp, "intermediate_size", cfg.intermediate_size);
    }
    if (cfg.n_routed_experts > 0) mm::blocks::require_moe_layout(cfg.moe_dims(), sh);  // EP and TP of the experts
  }

  static mm_plan plan(const mm::Config& c) {
    const HfConfig cfg = model(c);
    if (!cfg.ignored_keys.empty() && first_report(cfg.file)) {
      std::string keys;
      for (const auto& k : cfg.ignored_keys) keys += (keys.empty() ? "" : ", ") + k;
      mm::log(MM_LOG_WARN, "hf_decoder: " + cfg.file + ": ignored keys (no effect on the analysis): " + keys);
    }
    check_layout(cfg, mm::blocks::sharding(c));
    const int64_t text = c.get_int("prompt.text_tokens");
    if (text < 1) throw mm::InvalidArgument("prompt.text_tokens must be >= 1 for a decoder-only model, got 0");
    const uint64_t limit = c.has("model.max_position_embeddings")
                               ? static_cast<uint64_t>(c.get_int("model.max_position_embeddings"))
                               : cfg.max_position_embeddings;
    if (c.get_string("task.kind") == "train" && static_cast<uint64_t>(text) > limit) {
      throw mm::InvalidArgument("prompt.text_tokens = " + std::to_string(text) +
                                " (the training sequence) exceeds the model's maximum of " + std::to_string(limit) +
                                " positions");
    }
    mm_plan p{};
    p.vision_tokens = 0;
    p.has_vision = 0;
    p.prefill_tokens = static_cast<uint64_t>(text);
    p.max_positions = c.has("model.max_position_embeddings")
                          ? static_cast<uint64_t>(c.get_int("model.max_position_embeddings"))
                          : cfg.max_position_embeddings;
    p.default_attention = MM_ATTENTION_FLASH;
    p.model_name = intern(cfg.model_name);
    p.idle_parameters = 0;
    return p;
  }

  static mm::LayerPtr build(const mm::StageContext& ctx) {
    if (ctx.stage() == MM_STAGE_VISION) return {};
    const mm::Config c = ctx.config();
    return mm::make_layer<HfDecoderModel>(ctx, model(c), conventions(c));
  }
};

}  // namespace hf_decoder

MODELMETER_MODEL_PLUGIN(hf_decoder::HfDecoderPlugin, hf_decoder::HfDecoderModel, hf_decoder::HfDecoderLayer,
                        hf_decoder::HfAttention, hf_decoder::HfSlidingWindowAttention, hf_decoder::HfMlaAttention,
                        hf_decoder::HfMLP, hf_decoder::HfSparseMoeBlock, hf_decoder::HfTopKRouter,
                        hf_decoder::HfRMSNorm, hf_decoder::HfRotaryEmbedding)
