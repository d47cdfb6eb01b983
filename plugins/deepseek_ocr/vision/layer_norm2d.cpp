#include "vision/layer_norm2d.hpp"

namespace deepseek_ocr {

LayerNorm2d::LayerNorm2d(const modelmeter::StageContext& ctx, uint64_t images, uint64_t channels, uint64_t h,
                         uint64_t w) {
  if (images == 0 || channels == 0 || h == 0 || w == 0) {
    throw modelmeter::InvalidArgument("LayerNorm2d needs images, channels, h and w > 0");
  }
  const double rows = static_cast<double>(images * h * w);  // T: one row of C channels per pixel
  add_child("norm", modelmeter::ops::layer_norm(ctx, rows, channels, true));
  shapes_ = "images=" + std::to_string(images) + " channels=" + std::to_string(channels) + " h=" + std::to_string(h) +
            " w=" + std::to_string(w);
}

}  // namespace deepseek_ocr
