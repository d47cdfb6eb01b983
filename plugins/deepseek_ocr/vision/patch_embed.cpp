#include "vision/patch_embed.hpp"

namespace deepseek_ocr {

namespace {
constexpr uint64_t kImageChannels = 3;  // RGB
}  // namespace

PatchEmbed::PatchEmbed(const modelmeter::StageContext& ctx, const VisionConfig& v, uint64_t images, uint64_t size) {
  if (images == 0 || size == 0 || v.sam_patch == 0 || size % v.sam_patch != 0) {
    throw modelmeter::InvalidArgument("PatchEmbed needs images > 0 and a view size that is a multiple of " +
                                      std::to_string(v.sam_patch) + ", got size " + std::to_string(size));
  }
  add_child("proj", modelmeter::ops::conv2d(ctx, images, kImageChannels, v.sam_embed_dim, size, size, v.sam_patch,
                                            v.sam_patch, 0, true));
  shapes_ = "images=" + std::to_string(images) + " size=" + std::to_string(size) +
            " patch=" + std::to_string(v.sam_patch) + " grid=" + std::to_string(size / v.sam_patch) +
            " dim=" + std::to_string(v.sam_embed_dim);
}

}  // namespace deepseek_ocr
