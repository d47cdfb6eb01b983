// The deepseek_ocr plugin: DeepSeek-OCR's workload keys, its plan (token counts, tile grid) and its stages.
#include <modelmeter/blocks.hpp>

#include "core/deepseek_ocr_model.hpp"
#include "decoder/deepseek_v2_decoder_layer.hpp"
#include "decoder/deepseek_v2_flash_attention2.hpp"
#include "decoder/deepseek_v2_mlp.hpp"
#include "decoder/deepseek_v2_moe.hpp"
#include "decoder/deepseek_v2_rms_norm.hpp"
#include "decoder/moe_gate.hpp"
#include "llama/llama_flash_attention2.hpp"
#include "llama/llama_rotary_embedding.hpp"
#include "model_config.hpp"
#include "vision/attention.hpp"
#include "vision/block.hpp"
#include "vision/clip_vision_embeddings.hpp"
#include "vision/image_encoder_vit.hpp"
#include "vision/layer_norm2d.hpp"
#include "vision/mlp_block.hpp"
#include "vision/mlp_projector.hpp"
#include "vision/notp_attention.hpp"
#include "vision/notp_feed_forward.hpp"
#include "vision/notp_transformer.hpp"
#include "vision/notp_transformer_block.hpp"
#include "vision/patch_embed.hpp"
#include "vision/vit_model.hpp"
#include "vision_plan.hpp"

namespace deepseek_ocr {

namespace mm = modelmeter;

struct DeepseekOcrPlugin {
  static constexpr const char* kName = "deepseek_ocr";
  static constexpr const char* kVersion = "0.1.0";
  static constexpr const char* kDescription =
      "DeepSeek-OCR (deepseek-ai/DeepSeek-OCR): SAM ViT-B + CLIP-L vision encoders, linear projector, "
      "12-layer DeepSeek-V2 MoE decoder";
  // Defaults are the released checkpoint's (configs/models/deepseek-ocr.toml holds the same values).
  static constexpr mm_key_decl kKeys[] = {
      mm::key_string("vision.mode", "\"base\"", "off|tiny|small|base|large|gundam",
                     "image mode: off, Tiny 512, Small 640, Base 1024, Large 1280, Gundam 1024 + 640 tiles"),
      mm::key_ints("vision.page", nullptr, 1, 1e6, 2, 2, "page size [width, height] in pixels (Gundam's tile grid)"),
      mm::key_ints("vision.grid", nullptr, 1, 9, 2, 2, "tile grid [w, h], 2 <= w*h <= 9; overrides the page rule"),
      mm::key_int("vision.base_size", nullptr, 64, 8192, "global view side in pixels (default: the mode's)"),
      mm::key_int("vision.image_size", "640", 64, 8192, "tile side in pixels (Gundam)"),
      mm::key_int("prompt.prefill_tokens", nullptr, 1, 1e9,
                  "what-if: the prefill length P (default: vision tokens + prompt.text_tokens)"),
      mm::key_int("model.hidden_size", "1280", 1, 1 << 20, "decoder hidden size"),
      mm::key_int("model.num_hidden_layers", "12", 1, 4096, "decoder layers"),
      mm::key_int("model.num_attention_heads", "10", 1, 4096, "attention heads"),
      mm::key_int("model.num_key_value_heads", "10", 1, 4096, "key/value heads (MHA path; must divide heads)"),
      mm::key_int("model.intermediate_size", "6848", 1, 1 << 22, "dense MLP intermediate size"),
      mm::key_int("model.moe_intermediate_size", "896", 1, 1 << 22, "one routed expert's intermediate size"),
      mm::key_int("model.n_routed_experts", "64", 0, 1 << 16, "routed experts (0: no MoE)"),
      mm::key_int("model.n_shared_experts", "2", 0, 1 << 10, "shared experts"),
      mm::key_int("model.num_experts_per_tok", "6", 1, 1 << 10, "experts per token (top-k)"),
      mm::key_int("model.first_k_dense_replace", "1", 0, 4096, "first layers with a dense MLP"),
      mm::key_int("model.moe_layer_freq", "1", 1, 4096, "MoE every this many layers"),
      mm::key_int("model.vocab_size", "129280", 1, 1 << 24, "vocabulary size"),
      mm::key_int("model.max_position_embeddings", "8192", 1, 1LL << 40, "maximum context (raise for what-ifs)"),
      mm::key_bool("model.use_mla", "false", "DeepSeek-V2 multi-head latent attention instead of MHA"),
      mm::key_int("model.q_lora_rank", "0", 0, 1 << 20, "MLA query low-rank size (0: none)"),
      mm::key_int("model.kv_lora_rank", "512", 1, 1 << 20, "MLA key/value latent size"),
      mm::key_int("model.qk_rope_head_dim", "64", 1, 4096, "MLA rotary part of a query/key head"),
      mm::key_int("model.qk_nope_head_dim", "128", 1, 4096, "MLA non-rotary part of a query/key head"),
      mm::key_int("model.v_head_dim", "128", 1, 4096, "MLA value head dim"),
  };

  static VisionPlan vision(const mm::Config& c) {
    VisionKeys k;
    k.mode = c.get_string("vision.mode");
    if (c.has("vision.page")) {
      const auto p = c.get_ints("vision.page");
      k.page = std::pair{p[0], p[1]};
    }
    if (c.has("vision.grid")) {
      const auto g = c.get_ints("vision.grid");
      k.grid = std::pair{g[0], g[1]};
    }
    if (c.has("vision.base_size")) k.base_size = c.get_int("vision.base_size");
    k.image_size = c.get_int("vision.image_size");
    return plan_vision(k);
  }

  // Parameters of the vision encoders and projector, for a workload that runs no vision stage.
  static double vision_parameters(const DecoderConfig& d) {
    mm_precision p{sizeof(mm_precision), MM_DTYPE_BF16, MM_DTYPE_BF16, MM_DTYPE_BF16, 2, 2, 2};
    mm_stage_context raw{};
    raw.struct_size = sizeof raw;
    raw.stage = MM_STAGE_VISION;
    raw.precision = &p;
    raw.batch = 1;
    raw.steps = 1;
    raw.attention = MM_ATTENTION_FLASH;
    VisionPlan base = plan_vision(VisionKeys{"base", std::nullopt, std::nullopt, std::nullopt, 640});
    const mm::LayerPtr tree = mm::make_layer<DeepseekOCRModel>(mm::StageContext(raw), d, VisionConfig{}, base);
    return mm::tree_parameters(tree.get());
  }

  // The decoder shards over tensor-, pipeline- and expert-parallel GPUs through the SDK's blocks; the vision
  // encoders are replicated over TP and EP and run on the first pipeline stage (docs/parallelism.md).
  static constexpr uint32_t kParallel = MM_PARALLEL_TP | MM_PARALLEL_PP | MM_PARALLEL_EP;

  // The model's own divisibility (docs/parallelism.md): one line naming the key, its value, the divisor and the
  // allowed values.
  static void check_layout(const DecoderConfig& d, const mm::blocks::Sharding& sh) {
    using mm::blocks::require_divides;
    mm::blocks::require_pipeline_layers(sh.pp, "num_hidden_layers", d.num_hidden_layers);
    if (sh.ep > 1 && d.n_routed_experts == 0) {
      throw mm::InvalidArgument("parallel.ep = " + std::to_string(sh.ep) +
                                " needs routed experts; n_routed_experts = 0 (allowed: 1)");
    }
    if (sh.tp > 1) {
      require_divides("parallel.tp", sh.tp, "num_attention_heads", d.num_attention_heads);
      if (!d.use_mla) (void)mm::blocks::kv_heads_per_rank(d.num_key_value_heads, sh.tp);
      require_divides("parallel.tp", sh.tp, "intermediate_size", d.intermediate_size);
    }
    if (d.n_routed_experts > 0) mm::blocks::require_moe_layout(d.moe_dims(), sh);  // EP and TP of the experts
  }

  static mm_plan plan(const mm::Config& c) {
    const DecoderConfig d = DecoderConfig::from(c);
    check_layout(d, mm::blocks::sharding(c));
    const VisionPlan v = vision(c);
    mm_plan p{};
    p.vision_tokens = v.tokens();
    p.has_vision = v.enabled ? 1 : 0;
    p.prefill_tokens = v.tokens() + static_cast<uint64_t>(c.get_int("prompt.text_tokens"));
    if (c.has("prompt.prefill_tokens")) {
      const auto forced = static_cast<uint64_t>(c.get_int("prompt.prefill_tokens"));
      if (forced < v.tokens()) {
        throw mm::InvalidArgument("prompt.prefill_tokens = " + std::to_string(forced) + " is less than the " +
                                  std::to_string(v.tokens()) + " vision tokens of this image mode");
      }
      p.prefill_tokens = forced;
    }
    p.max_positions = d.max_position_embeddings;
    p.default_attention = MM_ATTENTION_FLASH;
    p.model_name = "deepseek-ocr";
    p.idle_parameters = v.enabled ? 0 : vision_parameters(d);
    return p;
  }

  static mm::LayerPtr build(const mm::StageContext& ctx) {
    const mm::Config c = ctx.config();
    const DecoderConfig d = DecoderConfig::from(c);
    const VisionPlan v = vision(c);
    if (ctx.stage() == MM_STAGE_VISION && !v.enabled) return {};
    return mm::make_layer<DeepseekOCRModel>(ctx, d, VisionConfig{}, v);
  }
};

}  // namespace deepseek_ocr

MODELMETER_MODEL_PLUGIN(deepseek_ocr::DeepseekOcrPlugin, deepseek_ocr::Attention, deepseek_ocr::Block,
                        deepseek_ocr::CLIPVisionEmbeddings, deepseek_ocr::ImageEncoderViT, deepseek_ocr::LayerNorm2d,
                        deepseek_ocr::MLPBlock, deepseek_ocr::MlpProjector, deepseek_ocr::NoTPAttention,
                        deepseek_ocr::NoTPFeedForward, deepseek_ocr::NoTPTransformer,
                        deepseek_ocr::NoTPTransformerBlock, deepseek_ocr::PatchEmbed, deepseek_ocr::VitModel,
                        deepseek_ocr::DeepseekV2DecoderLayer, deepseek_ocr::DeepseekV2MLP, deepseek_ocr::DeepseekV2MoE,
                        deepseek_ocr::DeepseekV2RMSNorm, deepseek_ocr::MoEGate, deepseek_ocr::DeepseekV2FlashAttention2,
                        deepseek_ocr::LlamaFlashAttention2, deepseek_ocr::LlamaRotaryEmbedding,
                        deepseek_ocr::DeepseekOCRModel)
