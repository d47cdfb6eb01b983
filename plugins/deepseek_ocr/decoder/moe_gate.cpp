#include "decoder/moe_gate.hpp"

#include "shape_text.hpp"

namespace deepseek_ocr {

namespace {
constexpr double kExpertIdBytes = 4;  // expert ids as int32, like token ids (docs/metrics.md §4)
}  // namespace

MoEGate::MoEGate(const modelmeter::StageContext& ctx, const DecoderConfig& cfg, double tokens)
    : tokens_(tokens),
      experts_(static_cast<double>(cfg.n_routed_experts)),
      top_k_(static_cast<double>(cfg.num_experts_per_tok)),
      ba_(ctx.precision().activation_bytes) {
  if (cfg.n_routed_experts == 0 || cfg.num_experts_per_tok == 0 || cfg.num_experts_per_tok > cfg.n_routed_experts) {
    throw modelmeter::InvalidArgument("MoEGate needs 1 <= num_experts_per_tok <= n_routed_experts, got k = " +
                                      std::to_string(cfg.num_experts_per_tok) +
                                      ", E = " + std::to_string(cfg.n_routed_experts));
  }
  namespace ops = modelmeter::ops;
  add_child("weight", ops::linear(ctx, tokens, cfg.hidden_size, cfg.n_routed_experts, false));
  add_child("softmax", ops::softmax(ctx, tokens, cfg.n_routed_experts));
}

modelmeter::Metrics MoEGate::own(modelmeter::Pass pass) const {
  const double t = tokens_, e = experts_, k = top_k_;
  const double scores = ba_ * t * e;                     // the T × E softmax scores (or their gradient), bytes
  const double chosen = (ba_ + kExpertIdBytes) * t * k;  // T × k weights and int32 ids, bytes

  modelmeter::Metrics m;  // no matmul, no weights, no cache: tc_flops, weight_bytes, parameters, kv stay 0
  if (pass == modelmeter::Pass::Forward) {
    m.cuda_flops = k * e * t + k * t;  // greedy top-k: k passes of E comparisons; ·routed_scaling_factor
    m.io_bytes = scores + chosen;      // read scores; write weights and ids
    m.activation_bytes = chosen;       // weights and ids
    m.live_bytes = scores + chosen;    // scores in, weights and ids out
  } else {
    m.cuda_flops = k * t;            // d scores at the chosen entries = dw · routed_scaling_factor
    m.io_bytes = chosen + scores;    // read dw and ids; write the dense d scores
    m.activation_bytes = scores;     // d scores
    m.live_bytes = chosen + scores;  // dw, ids in; d scores out
  }
  return m;
}

std::string MoEGate::shapes() const {
  return "tokens=" + shape_text::count(tokens_) + " experts=" + shape_text::count(experts_) +
         " top_k=" + shape_text::count(top_k_);
}

}  // namespace deepseek_ocr
