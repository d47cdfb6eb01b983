// The vit plugin: Vision Transformers (ViT-B/16, ViT-L/16, ViT-H/14, or a Hugging Face ViTConfig config.json)
// as image classifiers. Its workload keys, its plan and its one stage, MM_STAGE_FORWARD (a forward pass over a
// batch of images), which the host runs for the forward and train tasks (kTasks).
#include <mutex>
#include <set>
#include <string>

#include "vit_attention.hpp"
#include "vit_config.hpp"
#include "vit_embeddings.hpp"
#include "vit_layer.hpp"
#include "vit_mlp.hpp"
#include "vit_model.hpp"

namespace vit {

namespace mm = modelmeter;

namespace {

// mm_plan.model_name must outlive the call: names are interned once per distinct model for the process's life.
const char* intern(const std::string& name) {
  static std::mutex mutex;
  static std::set<std::string> names;
  const std::lock_guard<std::mutex> lock(mutex);
  return names.insert(name).first->c_str();
}

// True the first time a file is seen in this process (the ignored-keys warning is given once per file).
bool first_report(const std::string& file) {
  static std::mutex mutex;
  static std::set<std::string> files;
  const std::lock_guard<std::mutex> lock(mutex);
  return files.insert(file).second;
}

}  // namespace

struct VitPlugin {
  static constexpr const char* kName = "vit";
  static constexpr const char* kVersion = "0.1.0";
  // Forward passes and training steps; no generation (an encoder has no decode).
  static constexpr uint32_t kTasks = MM_TASK_BIT(MM_TASK_FORWARD) | MM_TASK_BIT(MM_TASK_TRAIN);
  static constexpr const char* kDescription =
      "Vision Transformer image classifiers (ViT-B/16, ViT-L/16, ViT-H/14, or a Hugging Face ViTConfig "
      "config.json): a forward pass over a batch of images";
  static constexpr mm_key_decl kKeys[] = {
      mm::key_string("model.config", "\"vit-b-16\"", nullptr,
                     "the model: a bundled name (vit-b-16, vit-l-16, vit-h-14) or a path to a ViTConfig "
                     "config.json; --model sets it"),
      mm::key_int("image.size", nullptr, 1, 1 << 16,
                  "image height and width in pixels (default: the config's image_size)"),
  };

  static VitConfig model(const mm::Config& c) { return VitConfig::load(c.get_string("model.config")); }

  static VitShape shape(const mm::Config& c, const VitConfig& cfg, uint64_t batch) {
    const uint64_t size = c.has("image.size") ? static_cast<uint64_t>(c.get_int("image.size")) : cfg.image_size;
    if (size < cfg.patch_size) {
      throw mm::InvalidArgument("image.size = " + std::to_string(size) + " is smaller than the model's patch (" +
                                std::to_string(cfg.patch_size) + " pixels)");
    }
    return VitShape(cfg, batch, size);
  }

  static mm_plan plan(const mm::Config& c) {
    const VitConfig cfg = model(c);
    if (!cfg.ignored_keys.empty() && first_report(cfg.file)) {
      std::string keys;
      for (const auto& k : cfg.ignored_keys) keys += (keys.empty() ? "" : ", ") + k;
      mm::log(MM_LOG_WARN, "vit: " + cfg.file + ": ignored keys (no effect on the analysis): " + keys);
    }
    const VitShape s = shape(c, cfg, 1);
    if (s.image_size != cfg.image_size && s.image_size % cfg.patch_size != 0) {
      mm::log(MM_LOG_WARN, "vit: image.size = " + std::to_string(s.image_size) + " is not a multiple of the patch (" +
                               std::to_string(cfg.patch_size) + "): the last partial patch row and column are dropped");
    }
    mm_plan p{};
    p.vision_tokens = 0;
    p.has_vision = 0;
    p.prefill_tokens = s.tokens;  // T per image: the forward stage's ctx.query_tokens
    p.max_positions = 0;          // no decode stage
    p.default_attention = MM_ATTENTION_FLASH;
    p.model_name = intern(cfg.model_name);
    p.idle_parameters = 0;
    return p;
  }

  static mm::LayerPtr build(const mm::StageContext& ctx) {
    if (ctx.stage() != MM_STAGE_FORWARD) return {};
    const mm::Config c = ctx.config();
    const VitConfig cfg = model(c);
    return mm::make_layer<VitModel>(ctx, cfg, shape(c, cfg, ctx.batch()));
  }
};

}  // namespace vit

MODELMETER_MODEL_PLUGIN(vit::VitPlugin, vit::VitModel, vit::VitEmbeddings, vit::VitLayer, vit::VitAttention,
                        vit::VitMlp)
