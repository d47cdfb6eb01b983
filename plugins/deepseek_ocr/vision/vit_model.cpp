#include "vision/vit_model.hpp"

#include "vision/clip_vision_embeddings.hpp"
#include "vision/notp_transformer.hpp"

namespace deepseek_ocr {

VitModel::VitModel(const modelmeter::StageContext& ctx, const VisionConfig& v, const ViewShape& view) {
  const uint64_t cell = v.sam_patch * 4;  // SAM's patch, then two stride-2 convolutions
  if (view.images == 0 || view.size == 0 || view.size % cell != 0) {
    throw modelmeter::InvalidArgument("VitModel needs images > 0 and a view size that is a multiple of " +
                                      std::to_string(cell) + ", got size " + std::to_string(view.size));
  }
  const uint64_t q = view.tokens_side(v);  // tokens per side
  const uint64_t seq_len = 1 + q * q;      // N: CLS + q² patches
  add_child("embeddings", modelmeter::make_layer<CLIPVisionEmbeddings>(ctx, v, view.images, q));
  add_child("pre_layrnorm",
            modelmeter::ops::layer_norm(ctx, static_cast<double>(view.images * seq_len), v.clip_hidden, true));
  add_child("transformer", modelmeter::make_layer<NoTPTransformer>(ctx, v, view.images, seq_len));
  shapes_ = "images=" + std::to_string(view.images) + " size=" + std::to_string(view.size) + " q=" + std::to_string(q) +
            " seq_len=" + std::to_string(seq_len) + " layers=" + std::to_string(v.clip_layers) +
            (ctx.shared_weights() ? " shared_weights" : "");
}

}  // namespace deepseek_ocr
