#include "embedding.hpp"

namespace modelmeter::core::ops {

namespace {
constexpr double kIdBytes = 4;  // int32 token ids
}  // namespace

Embedding::Embedding(const modelmeter::StageContext& ctx, const mm_op_spec& spec)
    : CoreOp(ctx, spec),
      tokens_(spec.tokens),
      vocab_(static_cast<double>(spec.vocab)),
      dim_(static_cast<double>(spec.features)),
      shared_(spec.shared_weights != 0),
      bw_(ctx.precision().weight_bytes),
      ba_(ctx.precision().activation_bytes) {}

Metrics Embedding::own(Pass pass) const {
  const double params = vocab_ * dim_;     // P = V·D
  const double gathered = tokens_ * dim_;  // T·D: elements of the touched rows = elements of y
  const double ids = kIdBytes * tokens_;   // 4·T
  Metrics m;
  m.parameters = params;          // state: the table (backward: trainable)
  m.weight_bytes = bw_ * params;  // state: the table (backward: its gradient)
  if (pass == Pass::Forward) {
    m.tc_flops = 0;                                      // a table lookup: no arithmetic
    m.cuda_flops = 0;                                    // a table lookup: no arithmetic
    m.io_bytes = bw_ * gathered + ids + ba_ * gathered;  // read touched rows and ids, write y
    m.activation_bytes = ba_ * gathered;                 // y
    m.live_bytes = ids + ba_ * gathered;                 // ids and y
  } else {
    m.cuda_flops = gathered;                                 // scatter-add: one add per gradient element
    m.io_bytes = ba_ * gathered + ids + 2 * bw_ * gathered;  // read dY and ids, read + write touched rows of dE
    m.activation_bytes = 0;                                  // integer ids have no gradient
    m.live_bytes = ba_ * gathered + ids;                     // dY and ids
  }
  return shared_ ? without_owned_weights(m) : m;
}

std::string Embedding::shapes() const {
  return "tokens=" + format_count(tokens_) + " vocab=" + format_count(vocab_) + " features=" + format_count(dim_);
}

}  // namespace modelmeter::core::ops
