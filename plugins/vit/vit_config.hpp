// A Vision Transformer (ViT) as described by a Hugging Face ViTConfig (config.json) or by one of the built-in
// presets (the model table: ViT-B/16, ViT-L/16, ViT-H/14), validated into a plain struct. The only file that
// parses JSON is vit_config.cpp; layers take VitConfig, never raw JSON.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vit {

struct VitConfig {
  static constexpr std::size_t kMaxConfigBytes = 16u << 20;  // a larger config.json is refused

  std::string file;        // the config.json it was read from (empty for a preset)
  std::string model_name;  // "vit-b-16", or the file stem / folder name
  uint64_t hidden_size = 768;
  uint64_t num_hidden_layers = 12;
  uint64_t num_attention_heads = 12;
  uint64_t intermediate_size = 3072;
  uint64_t image_size = 224;
  uint64_t patch_size = 16;
  uint64_t num_channels = 3;
  bool qkv_bias = true;
  double layer_norm_eps = 1e-12;  // no effect on any figure; read so a wrong type is reported
  uint64_t num_labels = 1000;     // classifier rows; 0 = no classifier head (ViTModel)

  std::vector<std::string> ignored_keys;  // keys present in the file that do not change the analysis

  uint64_t head_dim() const { return hidden_size / num_attention_heads; }

  // The built-in model table: "vit-b-16" (default), "vit-l-16", "vit-h-14". Throws InvalidArgument naming the
  // allowed names for anything else.
  static VitConfig preset(const std::string& name);
  static const char* preset_names();  // "vit-b-16|vit-l-16|vit-h-14"
  static bool is_preset(const std::string& name);

  // Reads and validates a ViTConfig config.json (regular file, at most kMaxConfigBytes); throws
  // modelmeter::InvalidArgument with one line naming the file, the key and the value.
  static VitConfig load(const std::string& path);
  // The same from the file's text (tests).
  static VitConfig parse(const std::string& text, const std::string& file);
};

}  // namespace vit
