#include "vision/notp_transformer.hpp"

#include "vision/notp_transformer_block.hpp"

namespace deepseek_ocr {

NoTPTransformer::NoTPTransformer(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images,
                                 uint64_t seq_len) {
  if (v.clip_layers == 0) throw modelmeter::InvalidArgument("NoTPTransformer needs clip_layers > 0");
  const std::string name =
      v.clip_layers == 1 ? std::string("layers.0") : "layers.{0.." + std::to_string(v.clip_layers - 1) + "}";
  add_child(name, modelmeter::make_layer<NoTPTransformerBlock>(ctx, v, images, seq_len),
            static_cast<double>(v.clip_layers));
  shapes_ = "images=" + std::to_string(images) + " seq_len=" + std::to_string(seq_len) +
            " layers=" + std::to_string(v.clip_layers);
}

}  // namespace deepseek_ocr
