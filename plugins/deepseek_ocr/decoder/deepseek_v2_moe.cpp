#include "decoder/deepseek_v2_moe.hpp"

#include <algorithm>
#include <cmath>

#include "decoder/deepseek_v2_mlp.hpp"
#include "decoder/moe_gate.hpp"
#include "shape_text.hpp"

namespace deepseek_ocr {

namespace {
constexpr double kExpertIdBytes = 4;  // permutation ids as int32, like token ids (docs/metrics.md §4)
}  // namespace

double DeepseekV2MoE::experts_touched(double experts, double top_k, double tokens) {
  return experts * (1 - std::pow(1 - top_k / experts, tokens));  // docs/metrics.md §6
}

DeepseekV2MoE::DeepseekV2MoE(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, const DecoderShape& shape)
    : tokens_(shape.tokens()),
      hidden_(static_cast<double>(cfg.hidden_size)),
      experts_(static_cast<double>(cfg.n_routed_experts)),
      top_k_(static_cast<double>(cfg.num_experts_per_tok)),
      shared_(cfg.n_shared_experts > 0 ? 1.0 : 0.0),
      touched_(0),
      ba_(ctx.precision().activation_bytes) {
  if (cfg.n_routed_experts == 0 || cfg.num_experts_per_tok == 0 || cfg.num_experts_per_tok > cfg.n_routed_experts) {
    throw modelmeter::InvalidArgument("DeepseekV2MoE needs 1 <= num_experts_per_tok <= n_routed_experts, got k = " +
                                      std::to_string(cfg.num_experts_per_tok) +
                                      ", E = " + std::to_string(cfg.n_routed_experts));
  }
  if (!(tokens_ > 0)) throw modelmeter::InvalidArgument("DeepseekV2MoE needs tokens > 0");
  touched_ = experts_touched(experts_, top_k_, tokens_);

  const double slots = tokens_ * top_k_;  // T·k token copies, one per (token, chosen expert)
  add_child("gate", modelmeter::make_layer<MoEGate>(ctx, cfg, tokens_));
  add_child("experts", modelmeter::make_layer<DeepseekV2MLP>(ctx, cfg.hidden_size, cfg.moe_intermediate_size, slots,
                                                             cfg.n_routed_experts, touched_));
  if (cfg.n_shared_experts > 0) {
    add_child("shared_experts", modelmeter::make_layer<DeepseekV2MLP>(
                                    ctx, cfg.hidden_size, cfg.n_shared_experts * cfg.moe_intermediate_size, tokens_));
  }
}

modelmeter::Metrics DeepseekV2MoE::own(modelmeter::Pass pass) const {
  const double t = tokens_, h = hidden_, k = top_k_, s = shared_;
  const double x = t * h;                     // one T × h hidden-state tensor, elements
  const double copies = t * k * h;            // the T·k token copies (= the T·k expert outputs), elements
  const double weights = t * k;               // routing weights, elements
  const double ids = kExpertIdBytes * t * k;  // the permutation, bytes (read once by each kernel)

  modelmeter::Metrics m;  // no matmul, no weights, no cache: tc_flops, weight_bytes, parameters, kv stay 0
  if (pass == modelmeter::Pass::Forward) {
    const double dispatch_io = ba_ * (x + copies) + ids;                   // read x; write the copies
    const double combine_io = ba_ * (copies + weights + s * x + x) + ids;  // read outs, w, shared; write y
    m.cuda_flops = copies + t * (k - 1) * h + s * x;   // ·w per copy; Σ over the k copies; + shared output
    m.io_bytes = dispatch_io + combine_io;             // each kernel's inputs and outputs once
    m.activation_bytes = ba_ * (copies + x);           // the copies and y
    m.live_bytes = std::max(dispatch_io, combine_io);  // the larger kernel's inputs + outputs
  } else {
    const double combine_io = ba_ * (x + copies + weights) + ids   // read dY, outs, w
                              + ba_ * (copies + weights + s * x);  // write d outs, dw, d shared
    const double dispatch_io = ba_ * (copies + x) + ids;           // read d copies; write dx
    m.cuda_flops = copies + 2 * copies + t * (k - 1) * h;  // d out = w·dY; dw = ⟨out, dY⟩ (2 per MAC); dx = Σ
    m.io_bytes = combine_io + dispatch_io;                 // each kernel's inputs and outputs once
    m.activation_bytes = ba_ * (copies + weights + s * x + x);  // d outs, dw, d shared, dx
    m.live_bytes = std::max(combine_io, dispatch_io);           // the larger kernel's inputs + outputs
  }
  return m;
}

std::string DeepseekV2MoE::shapes() const {
  return "tokens=" + shape_text::count(tokens_) + " hidden=" + shape_text::count(hidden_) +
         " experts=" + shape_text::count(experts_) + " top_k=" + shape_text::count(top_k_) +
         " touched=" + shape_text::count(touched_) + " shared=" + (shared_ > 0 ? "yes" : "no");
}

}  // namespace deepseek_ocr
