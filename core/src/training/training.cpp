// One training step from the layers' forward and backward metrics: docs/training.md has every formula.
#include <algorithm>
#include <cstring>
#include <map>
#include <modelmeter/core/collectives.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/training.hpp>
#include <string>
#include <utility>

#include "ops/core_op.hpp"

namespace modelmeter::core::training {

namespace {

double value(const MetricValues& v, mm_metric_id id) {
  return v[id].value_or(0);
}

// Adds `m` instances of one node's own metrics to a part, with their roofline time.
void add(Part& p, const MetricValues& v, double m, const RooflineRates& r) {
  const double tc = value(v, MM_METRIC_TC_FLOPS), cuda = value(v, MM_METRIC_CUDA_FLOPS);
  const double io = value(v, MM_METRIC_IO_BYTES);
  p.tc_flops += m * tc;
  p.cuda_flops += m * cuda;
  p.io_bytes += m * io;
  p.time_s += m * std::max(tc / r.tensor_flops + cuda / r.cuda_flops, io / r.bandwidth);
}

bool is_leaf(const StageTree& t, uint32_t i) {
  return t.nodes[i].first_child == StageTree::kNone;
}

}  // namespace

const char* recompute_name(Recompute r) noexcept {
  switch (r) {
    case Recompute::None:
      return "none";
    case Recompute::Selective:
      return "selective";
    case Recompute::Full:
      return "full";
  }
  return "?";
}

std::optional<Recompute> parse_recompute(std::string_view s) noexcept {
  if (s == "none") return Recompute::None;
  if (s == "selective") return Recompute::Selective;
  if (s == "full") return Recompute::Full;
  return std::nullopt;
}

std::optional<Optimizer> optimizer_named(std::string_view name, bool master_weights) noexcept {
  Optimizer o;
  o.master_weight_bytes = master_weights ? 4 : 0;
  if (name == "adam") {
    o.name = "adam";
    o.state_bytes = 8;    // m and v, fp32
    o.update_flops = 12;  // see docs/training.md
  } else if (name == "sgd_momentum") {
    o.name = "sgd_momentum";
    o.state_bytes = 4;  // one fp32 momentum buffer
    o.update_flops = 4;
  } else if (name == "sgd") {
    o.name = "sgd";
    o.state_bytes = 0;
    o.update_flops = 2;
  } else {
    return std::nullopt;
  }
  return o;
}

Saved saved_activations(const StageTree& t, const std::vector<NodeValues>& own, uint32_t i, bool dropout,
                        bool fusion_input_shared) {
  Saved s;
  const StageTree::Node& nd = t.nodes[i];
  if (!is_leaf(t, i)) return s;  // a composite's own glue (copies, adds of learned tensors) keeps nothing
  const ops::CoreOp* op = ops::core_op_of(nd.layer);
  if (op == nullptr) {  // a plugin's own leaf: its inputs (live − written), or what it writes
    if (nd.category == MM_CATEGORY_POSITIONAL || nd.category == MM_CATEGORY_DATA_MOVEMENT) return s;  // linear maps
    const auto& f = own[i].forward;
    const double act = value(f, MM_METRIC_ACTIVATION_BYTES);
    const double in = f[MM_METRIC_LIVE_BYTES] ? std::max(0.0, *f[MM_METRIC_LIVE_BYTES] - act) : act;
    s.none = s.selective = s.input = in;
    return s;
  }
  const mm_op_spec& sp = op->spec();
  const double ba = op->precision().activation_bytes;
  const double T = sp.tokens, F = static_cast<double>(sp.features);
  switch (sp.kind) {
    case MM_OP_LINEAR:
      s.input = ba * T * static_cast<double>(sp.in_features);  // x
      s.none = fusion_input_shared ? 0 : s.input;
      break;
    case MM_OP_CONV2D:
      s.input = s.none = ba * static_cast<double>(sp.batch) * static_cast<double>(sp.in_features) *
                         static_cast<double>(sp.in_h) * static_cast<double>(sp.in_w);
      break;
    case MM_OP_LAYERNORM:
    case MM_OP_RMSNORM:
    case MM_OP_GELU:
    case MM_OP_SILU:
      s.input = s.none = ba * T * F;  // x (the norm's statistics are recomputed from it)
      break;
    case MM_OP_ADD:
      s.input = ba * T * F;
      s.none = dropout ? T * F : 0;  // a sum's gradient needs no input; dropout before it keeps a 1-byte mask
      break;
    case MM_OP_MUL:
      s.input = ba * T * F;
      s.none = 2 * ba * T * F;  // both factors
      break;
    case MM_OP_SOFTMAX:
      s.input = ba * T * F;
      s.none = ba * T * F;  // its output
      break;
    case MM_OP_EMBEDDING:
      break;  // token ids only
    case MM_OP_ATTENTION: {
      const double b = static_cast<double>(sp.batch), h = static_cast<double>(sp.heads);
      const double hk = static_cast<double>(sp.kv_heads > 0 ? sp.kv_heads : sp.heads);
      const double dq = static_cast<double>(sp.head_dim);
      const double dv = static_cast<double>(sp.v_head_dim > 0 ? sp.v_head_dim : sp.head_dim);
      const double q = static_cast<double>(sp.query_len), k = static_cast<double>(sp.kv_len);
      const double qkv = ba * (b * q * h * dq + b * hk * k * (sp.kv_shared != 0 ? dq : dq + dv));
      s.input = ba * b * q * h * dq;
      if (sp.impl == MM_ATTENTION_EAGER) {
        const double scores = b * h * q * k;                             // eager computes every entry
        s.selective = qkv;                                               // P (and dropout's) recomputed from Q and K
        s.none = qkv + ba * scores + (dropout ? (1 + ba) * scores : 0);  // P; mask and dropped P
      } else {
        // Flash keeps Q, K, V and the fp32 log-sum-exp per row; its output O is the output projection's input,
        // counted there. Dropout inside the kernel is regenerated from the RNG state: no mask is kept.
        s.none = s.selective = qkv + 4 * b * h * q;
      }
      return s;
    }
    default:
      break;
  }
  s.selective = s.none;
  return s;
}

Step training_step(const StageTree& t, const std::vector<NodeValues>& own, const RooflineRates& rates,
                   const Options& o) {
  Step st;
  const auto n = static_cast<uint32_t>(t.nodes.size());
  if (n == 0 || own.size() != n) return st;
  // Transformer layers: the root's children whose subtree holds an attention op.
  std::vector<uint32_t> top(n, StageTree::kNone);
  std::vector<bool> has_attention(n, false);
  for (uint32_t i = 1; i < n; ++i) {
    const uint32_t p = t.nodes[i].parent;
    top[i] = p == 0 ? i : top[p];
    if (t.nodes[i].category == MM_CATEGORY_ATTENTION) has_attention[top[i]] = true;
  }
  const auto in_layer = [&](uint32_t i) { return i > 0 && has_attention[top[i]]; };

  std::map<std::pair<uint32_t, std::string>, bool> fused_inputs;  // (parent, fusion group) whose input is kept
  std::map<uint32_t, double> layer_checkpoint, layer_working;     // per layer: input of its first op; one instance
  std::map<uint32_t, double> unit_weights;                        // per root child: its weights, one instance
  double saved_none = 0, saved_selective = 0, saved_outside = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const StageTree::Node& nd = t.nodes[i];
    const double m = nd.multiplicity;
    const MetricValues& f = own[i].forward;
    const MetricValues& b = own[i].backward;
    add(st.forward, f, m, rates);
    add(st.backward, b, m, rates);
    st.parameters += m * value(f, MM_METRIC_PARAMETERS);
    st.weight_bytes += m * value(f, MM_METRIC_WEIGHT_BYTES);
    st.gradient_bytes += m * value(b, MM_METRIC_WEIGHT_BYTES);
    if (i > 0) unit_weights[top[i]] += m / t.nodes[top[i]].multiplicity * value(f, MM_METRIC_WEIGHT_BYTES);

    const bool layer = in_layer(i);
    const ops::CoreOp* op = is_leaf(t, i) ? ops::core_op_of(nd.layer) : nullptr;
    bool shared_input = false;
    if (op != nullptr && op->spec().kind == MM_OP_LINEAR && nd.fusion != nullptr) {
      shared_input = !fused_inputs.emplace(std::pair{nd.parent, std::string(nd.fusion)}, true).second;
    }
    const Saved s = saved_activations(t, own, i, layer && o.dropout, shared_input);
    if (!layer) {
      saved_outside += m * s.none;
      continue;
    }
    saved_none += m * s.none;
    saved_selective += m * s.selective;
    const uint32_t L = top[i];
    const double per_layer = m / t.nodes[L].multiplicity;  // instances of this node in one layer instance
    layer_working[L] += per_layer * s.none;
    if (is_leaf(t, i) && layer_checkpoint.find(L) == layer_checkpoint.end()) layer_checkpoint[L] = s.input;
    if (o.recompute == Recompute::Full) {
      add(st.recompute, f, m, rates);
    } else if (o.recompute == Recompute::Selective && nd.category == MM_CATEGORY_ATTENTION &&
               !(op != nullptr && op->spec().impl == MM_ATTENTION_FLASH)) {
      add(st.recompute, f, m, rates);  // flash already recomputes its scores inside its backward kernel
    }
  }
  for (uint32_t i = 1; i < n; ++i) {
    if (t.nodes[i].parent == 0 && has_attention[i]) st.layers += t.nodes[i].multiplicity;
  }
  for (const auto& [L, bytes] : unit_weights)
    st.largest_unit_weight_bytes = std::max(st.largest_unit_weight_bytes, bytes);
  switch (o.recompute) {
    case Recompute::None:
      st.activation_bytes = saved_outside + saved_none;
      break;
    case Recompute::Selective:
      st.activation_bytes = saved_outside + saved_selective;
      break;
    case Recompute::Full: {
      double checkpoints = 0;
      for (const auto& [L, bytes] : layer_checkpoint) checkpoints += t.nodes[L].multiplicity * bytes;
      for (const auto& [L, bytes] : layer_working)
        st.recompute_working_bytes = std::max(st.recompute_working_bytes, bytes);
      st.activation_bytes = saved_outside + checkpoints + st.recompute_working_bytes;
      break;
    }
  }

  // Optimizer update: reads the gradients, master weights and state; writes master weights, state and the
  // (low-precision) weights; with no master copy it reads the weights too.
  const Optimizer& opt = o.optimizer;
  st.optimizer_bytes = st.parameters * (opt.master_weight_bytes + opt.state_bytes);
  st.optimizer.cuda_flops = st.parameters * opt.update_flops;
  st.optimizer.io_bytes = st.gradient_bytes + 2 * st.optimizer_bytes + st.weight_bytes +
                          (opt.master_weight_bytes == 0 ? st.weight_bytes : 0);
  st.optimizer.time_s = std::max(st.optimizer.cuda_flops / rates.cuda_flops, st.optimizer.io_bytes / rates.bandwidth);

  st.time_s = st.forward.time_s + st.backward.time_s + st.recompute.time_s + st.optimizer.time_s;
  st.model_flops = 3 * st.forward.tc_flops;
  st.hardware_flops = st.forward.tc_flops + st.backward.tc_flops + st.recompute.tc_flops;
  return st;
}

ZeroMemory zero_memory(double weight_bytes, double gradient_bytes, double optimizer_bytes, double dp,
                       int zero) noexcept {
  const double g = std::max(1.0, dp);
  ZeroMemory z;
  z.optimizer = zero >= 1 ? optimizer_bytes / g : optimizer_bytes;
  z.gradients = zero >= 2 ? gradient_bytes / g : gradient_bytes;
  z.weights = zero >= 3 ? weight_bytes / g : weight_bytes;
  return z;
}

std::vector<ZeroCollective> zero_collectives(double weight_bytes, double gradient_bytes, int zero) {
  if (zero <= 1) return {{Collective::AllReduce, gradient_bytes}};
  if (zero == 2) return {{Collective::ReduceScatter, gradient_bytes}, {Collective::AllGather, weight_bytes}};
  return {{Collective::AllGather, weight_bytes},  // forward: each unit's weights gathered before it runs
          {Collective::AllGather, weight_bytes},  // backward: gathered again (freed after the forward)
          {Collective::ReduceScatter, gradient_bytes}};
}

void apply_data_parallel(Step& st, const Hardware& hw, double dp, double stride, int zero) {
  st.dp = std::max(1.0, dp);
  st.zero = zero;
  const double g = st.dp;
  // Communication: the unsharded buffers (every replica holds the full gradients before they are reduced).
  if (g > 1) {
    const CommPlacement place = place_group(hw, g, stride);
    for (const ZeroCollective& c : zero_collectives(st.weight_bytes, st.gradient_bytes, zero)) {
      const CollectiveTime ct = collective_time(hw, c.kind, c.bytes, place);
      st.comm_bytes += ct.bytes;  // the timed algorithm's bytes (NVLS sends (r+1)/r·S where it wins)
      st.comm_time_s += ct.time_s;
      st.comm_algorithm = ct.algorithm;
    }
  }
  // Stage 3 gathers the largest unit's full weights while it runs (its own 1/dp shard is part of them).
  if (zero >= 3 && g > 1) st.gathered_weight_bytes = st.largest_unit_weight_bytes * (g - 1) / g;
  // From stage 1 each GPU updates only its 1/dp of the parameters.
  if (zero >= 1) {
    st.optimizer.cuda_flops /= g;
    st.optimizer.io_bytes /= g;
    st.optimizer.time_s /= g;
  }
  const ZeroMemory z = zero_memory(st.weight_bytes, st.gradient_bytes, st.optimizer_bytes, g, zero);
  st.weight_bytes = z.weights;
  st.gradient_bytes = z.gradients;
  st.optimizer_bytes = z.optimizer;
  st.time_s = st.forward.time_s + st.backward.time_s + st.recompute.time_s + st.optimizer.time_s + st.comm_time_s;
}

}  // namespace modelmeter::core::training
