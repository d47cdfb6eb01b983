#include "hf_rms_norm.hpp"

#include <modelmeter/blocks.hpp>

namespace hf_decoder {

HfRMSNorm::HfRMSNorm(const modelmeter::StageContext& ctx, double tokens, uint64_t hidden) {
  add_child("rms_norm", modelmeter::ops::rms_norm(ctx, tokens, hidden));
  shapes_ = "tokens=" + modelmeter::blocks::count_text(tokens) + " hidden=" + std::to_string(hidden);
}

}  // namespace hf_decoder
