// ModelMeter SDK — building blocks shared by model plugins (header-only C++17, no Boost).
//
// Pieces that several model families have in common, so that two plugins modelling the same math share one
// implementation instead of two copies: the closed-form metrics of three glue kernels (rotary embedding,
// top-k routing, MoE dispatch/combine), the MoE "experts touched" law, the SwiGLU MLP's op list and the
// absorbed-form multi-head latent attention (MLA) op list. Every formula follows docs/metrics.md; the
// plugins' layer pages (kLayerDoc) give the derivations.
#ifndef MODELMETER_BLOCKS_HPP
#define MODELMETER_BLOCKS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <modelmeter/sdk.hpp>
#include <string>
#include <utility>
#include <vector>

namespace modelmeter::blocks {

// A count for a shapes() line: integers without a decimal point, expected (fractional) values with 6 digits.
inline std::string count_text(double value) {
  if (std::isfinite(value) && value == std::floor(value) && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

// ------------------------------------------------------------------------------------------------------
// Sharding (docs/parallelism.md): the parallel layout a plugin builds one GPU's share of.

// Tensor-, pipeline-, expert- and data-parallel degrees, all 1 on a host that predates them.
struct Sharding {
  uint64_t tp = 1, pp = 1, ep = 1, dp = 1;
  uint64_t pp_rank = 0;  // the pipeline stage being built (0 … pp − 1)
};

// Reads a parallel.* workload key from a plan's configuration; 1 when the host does not declare it (older hosts).
inline uint64_t parallel_degree(const Config& c, const char* key) {
  try {
    return c.has(key) ? static_cast<uint64_t>(std::max<int64_t>(1, c.get_int(key))) : 1;
  } catch (const Error&) {
    return 1;  // an older host: the key is not declared
  }
}
inline Sharding sharding(const Config& c) {
  Sharding s;
  s.tp = parallel_degree(c, "parallel.tp");
  s.pp = parallel_degree(c, "parallel.pp");
  s.ep = parallel_degree(c, "parallel.ep");
  s.dp = parallel_degree(c, "parallel.dp");
  return s;
}

// The layout a stage is built for (mm_stage_context.parallel, ABI 1.3); all 1 from an older host.
inline Sharding sharding(const StageContext& ctx) {
  const mm_parallel& p = ctx.parallel();
  Sharding s;
  s.tp = p.tp;
  s.pp = p.pp;
  s.ep = p.ep;
  s.dp = p.dp;
  s.pp_rank = p.pp_rank < s.pp ? p.pp_rank : s.pp - 1;
  return s;
}

// "1, 2, 4, 8": the divisors of n, for the "allowed" list of a message.
inline std::string divisors_text(uint64_t n) {
  std::string s;
  for (uint64_t d = 1; d <= n; ++d) {
    if (n % d == 0) s += (s.empty() ? "" : ", ") + std::to_string(d);
  }
  return s;
}

// Refuses a layout in which `key` = value does not divide the model's `what` = n, in one line naming both and
// the allowed values: "parallel.tp = 3 must divide num_attention_heads = 32 (allowed: 1, 2, 4, 8, 16, 32)".
inline void require_divides(const char* key, uint64_t value, const std::string& what, uint64_t n) {
  if (value == 0 || n % value != 0) {
    throw InvalidArgument(std::string(key) + " = " + std::to_string(value) + " must divide " + what + " = " +
                          std::to_string(n) + " (allowed: " + divisors_text(n) + ")");
  }
}

// Key/value heads each tensor-parallel rank holds: H_kv / tp when tp divides H_kv; when tp > H_kv, one head per
// rank, each replicated on tp / H_kv ranks (vLLM's rule; tp must then be a multiple of H_kv).
inline uint64_t kv_heads_per_rank(uint64_t kv_heads, uint64_t tp) {
  if (tp <= 1) return kv_heads;
  if (tp <= kv_heads) {
    require_divides("parallel.tp", tp, "num_key_value_heads", kv_heads);
    return kv_heads / tp;
  }
  if (tp % kv_heads != 0) {
    throw InvalidArgument("parallel.tp = " + std::to_string(tp) +
                          " exceeds num_key_value_heads = " + std::to_string(kv_heads) +
                          " and is not a multiple of it (allowed: " + divisors_text(kv_heads) + ", or a multiple of " +
                          std::to_string(kv_heads) + ")");
  }
  return 1;
}

// Layers of pipeline stage `rank` of `pp` (vLLM's split): ⌊L/pp⌋ each, the remainder on the last stage.
struct LayerRange {
  uint64_t first = 0, count = 0;
};
inline LayerRange pipeline_layers(uint64_t layers, uint64_t pp, uint64_t rank) {
  const uint64_t per = layers / pp;
  LayerRange r{rank * per, per};
  if (rank + 1 == pp) r.count = layers - r.first;
  return r;
}

// g = E·(1 − (1 − k/E)^T): expected distinct routed experts read by T tokens under uniform routing
// (docs/metrics.md §6).
inline double experts_touched(double experts, double top_k, double tokens) {
  return experts * (1 - std::pow(1 - top_k / experts, tokens));
}

inline constexpr double kIndexBytes = 4;    // token, position and expert ids as int32 (docs/metrics.md §4)
inline constexpr double kInvFreqBytes = 4;  // RoPE's inv_freq is an fp32 buffer

// The shapes a rotary embedding layer needs (T > 0 tokens, at least one head, an even rope_dim > 0); `who` names
// the calling class in the error.
inline void check_rotary_shape(const std::string& who, double tokens, uint64_t heads, uint64_t rope_dim) {
  if (!(tokens > 0)) throw InvalidArgument(who + " needs tokens > 0");
  if (heads == 0) throw InvalidArgument(who + " needs at least one head");
  if (rope_dim == 0 || rope_dim % 2 != 0) {
    throw InvalidArgument(who + " needs an even rope_dim > 0, got " + std::to_string(rope_dim));
  }
}

// Rotary position embedding (Llama's `LlamaRotaryEmbedding` + `apply_rotary_pos_emb`): a cos/sin table kernel
// over T positions and d rotary channels, then the rotation of Hq query and Hk key heads. `ba`: activation bytes.
inline Metrics rotary_embedding(Pass pass, double tokens, double q_heads, double k_heads, double rope_dim, double ba) {
  const double t = tokens, d = rope_dim;
  const double rotated = t * (q_heads + k_heads) * d;  // R = T·(Hq + Hk)·d
  const double table = t * d;                          // C = T·d, one of cos, sin

  Metrics m;  // no matmul, no weights, no cache: tc_flops, weight_bytes, parameters, kv stay 0
  if (pass == Pass::Forward) {
    const double table_io = kIndexBytes * t + kInvFreqBytes * d / 2 + 2 * ba * table;  // ids, inv_freq; cos, sin
    const double rotate_io = ba * rotated + 2 * ba * table + ba * rotated;             // read q/k, cos, sin; write q/k
    m.cuda_flops = table / 2 + 2 * table + 3 * rotated;        // angles d/2, cos + sin over d, 3 per rotated element
    m.io_bytes = table_io + rotate_io;                         // the two kernels, each input and output once
    m.activation_bytes = ba * (rotated + 2 * table);           // rotated q/k; cos, sin kept for backward
    m.live_bytes = std::max(kIndexBytes * t + 2 * ba * table,  // cos/sin kernel: ids in, tables out
                            ba * (2 * rotated + 2 * table));   // rotation: q/k in and out, cos, sin
  } else {
    m.cuda_flops = 3 * rotated;                                 // dy·cos + rotate_halfᵀ(dy·sin)
    m.io_bytes = ba * rotated + 2 * ba * table + ba * rotated;  // read dy, cos, sin; write dq, dk
    m.activation_bytes = ba * rotated;                          // dq, dk
    m.live_bytes = ba * (2 * rotated + 2 * table);              // dy, dx, cos, sin
  }
  return m;
}

// A rotary-embedding leaf layer: derive a registered class from it (the class gives its name to the errors):
//   class LlamaRotaryEmbedding final : public modelmeter::blocks::RotaryEmbeddingLayer {
//    public:
//     MODELMETER_LAYER_CLASS(LlamaRotaryEmbedding, MM_CATEGORY_POSITIONAL, kDoc)
//     LlamaRotaryEmbedding(const StageContext& ctx, double t, uint64_t hq, uint64_t hk, uint64_t d)
//         : RotaryEmbeddingLayer(ctx, kLayerClassName, t, hq, hk, d) {}
//   };
class RotaryEmbeddingLayer : public BaseLayer {
 public:
  RotaryEmbeddingLayer(const StageContext& ctx, const char* who, double tokens, uint64_t q_heads, uint64_t k_heads,
                       uint64_t rope_dim)
      : tokens_(tokens),
        q_heads_(static_cast<double>(q_heads)),
        k_heads_(static_cast<double>(k_heads)),
        rope_dim_(static_cast<double>(rope_dim)),
        ba_(ctx.precision().activation_bytes) {
    check_rotary_shape(who, tokens, q_heads + k_heads, rope_dim);
  }
  // The cos/sin table and rotation kernels (rotary_embedding above).
  Metrics own(Pass pass) const override { return rotary_embedding(pass, tokens_, q_heads_, k_heads_, rope_dim_, ba_); }
  std::string shapes() const override {
    return "tokens=" + count_text(tokens_) + " q_heads=" + count_text(q_heads_) + " k_heads=" + count_text(k_heads_) +
           " rope_dim=" + count_text(rope_dim_);
  }

 private:
  double tokens_;    // T
  double q_heads_;   // Hq
  double k_heads_;   // Hk
  double rope_dim_;  // d
  double ba_;        // bytes per activation element
};

// Top-k selection of a router over T tokens and E experts (the router's linear and softmax are separate ops):
// k greedy passes of E comparisons, then `per_choice` elementwise FLOPs on each chosen weight (1: a scaling
// factor; 2: renormalising the k weights to sum to one). Writes k weights and k int32 ids per token.
inline Metrics topk_router(Pass pass, double tokens, double experts, double top_k, double ba, double per_choice = 1) {
  const double t = tokens, e = experts, k = top_k;
  const double scores = ba * t * e;                  // the T × E softmax scores (or their gradient), bytes
  const double chosen = (ba + kIndexBytes) * t * k;  // T × k weights and int32 ids, bytes

  Metrics m;  // no matmul, no weights, no cache: tc_flops, weight_bytes, parameters, kv stay 0
  if (pass == Pass::Forward) {
    m.cuda_flops = k * e * t + per_choice * k * t;  // greedy top-k: k passes of E comparisons; per chosen weight
    m.io_bytes = scores + chosen;                   // read scores; write weights and ids
    m.activation_bytes = chosen;                    // weights and ids
    m.live_bytes = scores + chosen;                 // scores in, weights and ids out
  } else {
    m.cuda_flops = per_choice * k * t;  // d scores at the chosen entries
    m.io_bytes = chosen + scores;       // read dw and ids; write the dense d scores
    m.activation_bytes = scores;        // d scores
    m.live_bytes = chosen + scores;     // dw, ids in; d scores out
  }
  return m;
}

// The two glue kernels of a mixture-of-experts block: dispatch gathers the T·k token copies in expert order;
// combine reads the expert outputs back, weights them, sums the k of a token and (shared = 1) adds the shared
// experts' output. T tokens, hidden h, top-k, `ba` activation bytes, int32 permutation ids.
inline Metrics moe_dispatch_combine(Pass pass, double tokens, double hidden, double top_k, double shared, double ba) {
  const double t = tokens, h = hidden, k = top_k, s = shared;
  const double x = t * h;                  // one T × h hidden-state tensor, elements
  const double copies = t * k * h;         // the T·k token copies (= the T·k expert outputs), elements
  const double weights = t * k;            // routing weights, elements
  const double ids = kIndexBytes * t * k;  // the permutation, bytes (read once by each kernel)

  Metrics m;  // no matmul, no weights, no cache: tc_flops, weight_bytes, parameters, kv stay 0
  if (pass == Pass::Forward) {
    const double dispatch_io = ba * (x + copies) + ids;                   // read x; write the copies
    const double combine_io = ba * (copies + weights + s * x + x) + ids;  // read outs, w, shared; write y
    m.cuda_flops = copies + t * (k - 1) * h + s * x;   // ·w per copy; Σ over the k copies; + shared output
    m.io_bytes = dispatch_io + combine_io;             // each kernel's inputs and outputs once
    m.activation_bytes = ba * (copies + x);            // the copies and y
    m.live_bytes = std::max(dispatch_io, combine_io);  // the larger kernel's inputs + outputs
  } else {
    const double combine_io = ba * (x + copies + weights) + ids   // read dY, outs, w
                              + ba * (copies + weights + s * x);  // write d outs, dw, d shared
    const double dispatch_io = ba * (copies + x) + ids;           // read d copies; write dx
    m.cuda_flops = copies + 2 * copies + t * (k - 1) * h;      // d out = w·dY; dw = ⟨out, dY⟩ (2 per MAC); dx = Σ
    m.io_bytes = combine_io + dispatch_io;                     // each kernel's inputs and outputs once
    m.activation_bytes = ba * (copies + weights + s * x + x);  // d outs, dw, d shared, dx
    m.live_bytes = std::max(combine_io, dispatch_io);          // the larger kernel's inputs + outputs
  }
  return m;
}

// A layer's OWN metrics over steps [first, first + count) through its class table: for a plugin layer that
// holds core ops privately (not as children) and combines their metrics itself.
inline Metrics own_metrics(const mm_layer* layer, Pass pass, uint64_t first, uint64_t count) {
  double out[MM_METRIC_COUNT] = {};
  uint32_t filled = 0;
  mm_error err{};
  const mm_eval eval{sizeof(mm_eval), static_cast<mm_pass>(pass), first, count};
  detail::check(layer->cls->metrics(layer, &eval, out, MM_METRIC_COUNT, &filled, &err), err);
  if (filled < MM_METRIC_COUNT) throw NotModeled("a layer gives fewer metrics than this SDK knows");
  Metrics m;
  m.tc_flops = out[MM_METRIC_TC_FLOPS];
  m.cuda_flops = out[MM_METRIC_CUDA_FLOPS];
  m.io_bytes = out[MM_METRIC_IO_BYTES];
  m.weight_bytes = out[MM_METRIC_WEIGHT_BYTES];
  m.parameters = out[MM_METRIC_PARAMETERS];
  m.activation_bytes = out[MM_METRIC_ACTIVATION_BYTES];
  m.kv_cache_bytes = out[MM_METRIC_KV_CACHE_BYTES];
  m.live_bytes = out[MM_METRIC_LIVE_BYTES];
  m.comm_bytes = out[MM_METRIC_COMM_BYTES];
  return m;
}

// Consecutive decoder layers of the same kind (dense or MoE) have identical shapes: a model declares one child
// per run, repeated. `kind_of(i)` gives layer i's kind (anything comparable with ==).
struct LayerRun {
  uint64_t first = 0;
  uint64_t last = 0;
  double count() const { return static_cast<double>(last - first + 1); }
  // "layers.3" for one layer, "layers.{1..11}" for a run of identical ones.
  std::string name() const {
    return first == last ? "layers." + std::to_string(first)
                         : "layers.{" + std::to_string(first) + ".." + std::to_string(last) + "}";
  }
};
template <class KindOf>
std::vector<LayerRun> layer_runs(uint64_t layers, KindOf kind_of) {
  std::vector<LayerRun> runs;
  uint64_t first = 0;
  for (uint64_t i = 1; i <= layers; ++i) {
    if (i == layers || !(kind_of(i) == kind_of(first))) {
      runs.push_back(LayerRun{first, i - 1});
      first = i;
    }
  }
  return runs;
}

// A child a block builder hands back; the calling layer declares it with add_child, in this order.
struct NamedLayer {
  std::string name;
  LayerPtr layer;
  std::string fusion = {};     // the kernel fusion group (BaseLayer::add_child's `fusion`); empty: its own kernel
  std::string component = {};  // the report component (BaseLayer::add_child's `component`); empty: the parent's
};

// The report component of every collective the building blocks add (time bars show it on its own).
inline constexpr const char* kCommunication = "communication";

// Megatron-style tensor parallelism (docs/parallelism.md). A column-parallel linear layer splits its output
// features over tp GPUs (each holds out/tp columns; no communication); a row-parallel one splits its input
// features (in/tp rows each) and all-reduces the partial sums of its T × out output over the TP group.
inline LayerPtr column_parallel_linear(const StageContext& ctx, double tokens, uint64_t in, uint64_t out, bool bias,
                                       uint64_t tp, uint64_t groups = 1, double groups_touched = 0) {
  return ops::linear(ctx, tokens, in, tp > 1 ? out / tp : out, bias, groups, groups_touched);
}
// `name` and, when tp > 1, `name`_all_reduce. The bias (if any) is added once, after the reduction, and held by
// every GPU.
inline void row_parallel_linear(std::vector<NamedLayer>& into, const StageContext& ctx, const std::string& name,
                                double tokens, uint64_t in, uint64_t out, bool bias, uint64_t tp, uint64_t groups = 1,
                                double groups_touched = 0, bool reduce = true) {
  into.push_back({name, ops::linear(ctx, tokens, tp > 1 ? in / tp : in, out, bias, groups, groups_touched)});
  if (tp > 1 && reduce) {
    into.push_back({name + "_all_reduce", ops::all_reduce(ctx, tokens, out, tp, MM_COMM_GROUP_TP), {}, kCommunication});
  }
}

// Vocabulary-parallel embedding: each GPU holds ⌈V/tp⌉ rows (V padded to a multiple of tp) and looks up the
// tokens in its range; an all-reduce of T × h assembles the hidden states.
inline void vocab_parallel_embedding(std::vector<NamedLayer>& into, const StageContext& ctx, double tokens,
                                     uint64_t vocab, uint64_t hidden, uint64_t tp, bool as_matmul = false) {
  const uint64_t rows = tp > 1 ? (vocab + tp - 1) / tp : vocab;
  into.push_back({"embed_tokens", as_matmul ? ops::linear(ctx, tokens, rows, hidden, false)
                                            : ops::embedding(ctx, tokens, rows, hidden)});
  if (tp > 1) {
    into.push_back(
        {"embed_tokens_all_reduce", ops::all_reduce(ctx, tokens, hidden, tp, MM_COMM_GROUP_TP), {}, kCommunication});
  }
}

// Vocabulary-parallel LM head: each GPU computes ⌈V/tp⌉ logits of its rows; an all-gather of rows × V assembles
// them. `head_ctx` may share the embedding's weights (tied).
inline void vocab_parallel_lm_head(std::vector<NamedLayer>& into, const StageContext& head_ctx, double rows,
                                   uint64_t hidden, uint64_t vocab, uint64_t tp) {
  const uint64_t cols = tp > 1 ? (vocab + tp - 1) / tp : vocab;
  into.push_back({"lm_head", ops::linear(head_ctx, rows, hidden, cols, false)});
  if (tp > 1) {
    into.push_back(
        {"lm_head_all_gather", ops::all_gather(head_ctx, rows, cols * tp, tp, MM_COMM_GROUP_TP), {}, kCommunication});
  }
}

// SwiGLU MLP, down(silu(gate(x)) · up(x)): T tokens, h → i → h. With groups > 1 the three projections are
// grouped GEMMs over `groups` experts of which `groups_touched` are read (see ops::linear).
// Tensor parallel (tp > 1, tp dividing the intermediate size): gate and up column-parallel, down row-parallel,
// then an all-reduce of T × h unless `reduce` is false (experts: the MoE block reduces once after combining).
inline std::vector<NamedLayer> swiglu_mlp(const StageContext& ctx, uint64_t hidden, uint64_t intermediate,
                                          double tokens, uint64_t groups = 1, double groups_touched = 0,
                                          bool bias = false, uint64_t tp = 1, bool reduce = true) {
  if (tp > 1) require_divides("parallel.tp", tp, "the MLP intermediate size", intermediate);
  std::vector<NamedLayer> out;
  const uint64_t shard = tp > 1 ? intermediate / tp : intermediate;
  // Serving engines run gate and up as one GEMM and SiLU-and-multiply as one kernel.
  out.push_back({"gate_proj",
                 column_parallel_linear(ctx, tokens, hidden, intermediate, bias, tp, groups, groups_touched),
                 "gate_up"});
  out.push_back({"up_proj", column_parallel_linear(ctx, tokens, hidden, intermediate, bias, tp, groups, groups_touched),
                 "gate_up"});
  out.push_back({"act_fn", ops::silu(ctx, tokens, shard), "silu_mul"});
  out.push_back({"mul", ops::mul(ctx, tokens, shard), "silu_mul"});
  row_parallel_linear(out, ctx, "down_proj", tokens, intermediate, hidden, bias, tp, groups, groups_touched, reduce);
  return out;
}

// Pipeline parallelism: refuses pp > the model's layers in one line ("parallel.pp = 13 exceeds
// num_hidden_layers = 12 (allowed: 1 to 12)"); `what` names the layer count's key.
inline void require_pipeline_layers(uint64_t pp, const std::string& what, uint64_t layers) {
  if (pp > layers) {
    throw InvalidArgument("parallel.pp = " + std::to_string(pp) + " exceeds " + what + " = " + std::to_string(layers) +
                          " (allowed: 1 to " + std::to_string(layers) + ")");
  }
}

// ------------------------------------------------------------------------------------------------------
// Sparse mixture-of-experts block (Mixtral's MixtralSparseMoeBlock, DeepSeek-V2's DeepseekV2MoE): a top-k
// router, dispatch of the T·k token copies to their experts, the routed experts (SwiGLU MLPs as one grouped
// GEMM), combine (weighted sum of the k outputs of a token) and optional shared experts run on every token.
// Expert and tensor parallelism are applied here, in one place (docs/parallelism.md):
//   - ep = 1: every GPU holds all E experts; with tp > 1 each expert's intermediate size is split over the TP
//     GPUs (gate/up column-parallel, down row-parallel) and ONE all-reduce of T × h after the combine sums the
//     routed and shared partial outputs;
//   - ep = tp > 1 (EP inside the TP group): each GPU holds E/ep whole experts and runs them on the T·k/ep token
//     copies routed to them in expectation (every GPU sees all T tokens); the TP all-reduce sums the partial outputs;
//   - ep > 1, tp = 1 (EP over data-parallel GPUs): each GPU sends its T·k copies to the experts' GPUs with an
//     all-to-all (dispatch), runs its E/ep experts on the T·k copies it receives in expectation, and returns the
//     outputs with a second all-to-all (combine); its experts are touched by the ep·T tokens of the group.
// Shared experts and the router are replicated (shared experts tensor-split with the rest of the layer).

struct MoeDims {
  uint64_t hidden = 0;               // h
  uint64_t experts = 0;              // E routed experts
  uint64_t top_k = 0;                // k experts per token
  uint64_t expert_intermediate = 0;  // i of one routed expert
  uint64_t shared_intermediate = 0;  // i of the shared experts' MLP (n_shared · i); 0: no shared experts
};

// The model's divisibility for its MoE layers under ep and tp, one line each naming the key, the value, the
// divisor and the allowed values (as require_divides). `experts_key` names E in the message.
inline void require_moe_layout(const MoeDims& d, const Sharding& sh,
                               const std::string& experts_key = "n_routed_experts",
                               const std::string& intermediate_key = "moe_intermediate_size") {
  if (sh.ep > 1) {
    require_divides("parallel.ep", sh.ep, experts_key, d.experts);
    if (sh.tp > 1 && sh.ep != sh.tp) {
      throw InvalidArgument("parallel.ep = " + std::to_string(sh.ep) +
                            " must equal parallel.tp = " + std::to_string(sh.tp) +
                            " when parallel.tp > 1 (allowed: 1, " + std::to_string(sh.tp) + ")");
    }
  }
  if (sh.tp <= 1) return;
  if (sh.ep <= 1) require_divides("parallel.tp", sh.tp, intermediate_key, d.expert_intermediate);
  if (d.shared_intermediate > 0) {
    require_divides("parallel.tp", sh.tp, "the shared experts' size", d.shared_intermediate);
  }
}

// The children of one GPU's share of a sparse-MoE block, in this order: `gate`, [`dispatch_all_to_all`],
// `experts`, [`combine_all_to_all`], [`shared_experts`], [`all_reduce`]. The plugin's own classes build the
// router and the MLPs: `make_router(tokens)` and `make_mlp(hidden, intermediate, rows, groups, groups_touched,
// tp)` (an MLP with `groups` weight groups of which `groups_touched` are read, tensor-split over tp WITHOUT its
// own all-reduce: the block reduces once). `touched` receives g = E·(1 − (1 − k/E)^T) over all E experts.
template <class MakeRouter, class MakeMlp>
std::vector<NamedLayer> sparse_moe(const StageContext& ctx, const MoeDims& d, double tokens, const Sharding& sh,
                                   MakeRouter make_router, MakeMlp make_mlp, double* touched = nullptr) {
  const double experts = static_cast<double>(d.experts), k = static_cast<double>(d.top_k);
  const double g = experts_touched(experts, k, tokens);
  if (touched != nullptr) *touched = g;
  const double slots = tokens * k;  // T·k token copies, one per (token, chosen expert)
  const uint64_t tp = sh.tp, ep = sh.ep;
  std::vector<NamedLayer> out;
  out.push_back({"gate", make_router(tokens)});
  if (ep <= 1) {
    out.push_back({"experts", make_mlp(d.hidden, d.expert_intermediate, slots, d.experts, g, tp)});
  } else if (tp > 1) {  // ep = tp (require_moe_layout)
    const double share = static_cast<double>(ep);
    out.push_back(
        {"experts", make_mlp(d.hidden, d.expert_intermediate, slots / share, d.experts / ep, g / share, uint64_t{1})});
  } else {
    const uint64_t local = d.experts / ep;
    const double group_tokens = tokens * static_cast<double>(ep);
    const double local_touched = static_cast<double>(local) * (1 - std::pow(1 - k / experts, group_tokens));
    out.push_back(
        {"dispatch_all_to_all", ops::all_to_all(ctx, slots, d.hidden, ep, MM_COMM_GROUP_EP), {}, kCommunication});
    out.push_back({"experts", make_mlp(d.hidden, d.expert_intermediate, slots, local, local_touched, uint64_t{1})});
    out.push_back(
        {"combine_all_to_all", ops::all_to_all(ctx, slots, d.hidden, ep, MM_COMM_GROUP_EP), {}, kCommunication});
  }
  if (d.shared_intermediate > 0) {
    out.push_back({"shared_experts", make_mlp(d.hidden, d.shared_intermediate, tokens, uint64_t{1}, 0.0, tp)});
  }
  if (tp > 1) {
    out.push_back({"all_reduce", ops::all_reduce(ctx, tokens, d.hidden, tp, MM_COMM_GROUP_TP), {}, kCommunication});
  }
  return out;
}

// A top-k router leaf-with-children: derive the plugin's registered router class from it. Children `weight`
// (core Linear h → E, no bias) and `softmax` (T × E); own metrics: the greedy top-k of topk_router with
// `per_choice` FLOPs per chosen weight (1: scaling factor; 2: renormalisation). `who` names the class in errors.
class TopKRouterLayer : public BaseLayer {
 public:
  TopKRouterLayer(const StageContext& ctx, const std::string& who, double tokens, uint64_t hidden, uint64_t experts,
                  uint64_t top_k, double per_choice = 1)
      : tokens_(tokens),
        experts_(static_cast<double>(experts)),
        top_k_(static_cast<double>(top_k)),
        per_choice_(per_choice),
        ba_(ctx.precision().activation_bytes) {
    if (experts == 0 || top_k == 0 || top_k > experts) {
      throw InvalidArgument(who + " needs 1 <= num_experts_per_tok <= n_routed_experts, got k = " +
                            std::to_string(top_k) + ", E = " + std::to_string(experts));
    }
    add_child("weight", ops::linear(ctx, tokens, hidden, experts, false));
    add_child("softmax", ops::softmax(ctx, tokens, experts));
  }
  Metrics own(Pass pass) const override { return topk_router(pass, tokens_, experts_, top_k_, ba_, per_choice_); }
  std::string shapes() const override {
    return "tokens=" + count_text(tokens_) + " experts=" + count_text(experts_) + " top_k=" + count_text(top_k_);
  }

 protected:
  double per_choice() const noexcept { return per_choice_; }

 private:
  double tokens_, experts_, top_k_, per_choice_, ba_;
};

// A sparse-MoE layer: derive the plugin's registered MoE class from it. Its children are sparse_moe's; its own
// metrics are the dispatch and combine glue (moe_dispatch_combine) over this GPU's T tokens.
class SparseMoeLayer : public BaseLayer {
 public:
  Metrics own(Pass pass) const override { return moe_dispatch_combine(pass, tokens_, hidden_, top_k_, shared_, ba_); }
  std::string shapes() const override {
    return "tokens=" + count_text(tokens_) + " hidden=" + count_text(hidden_) + " experts=" + count_text(experts_) +
           " top_k=" + count_text(top_k_) + " touched=" + count_text(touched_) +
           " shared=" + (shared_ > 0 ? "yes" : "no") + (ep_ > 1 ? " ep=" + std::to_string(ep_) : std::string());
  }
  // g = E·(1 − (1 − k/E)^T): expected distinct routed experts (of all E) read by this block's T tokens.
  double experts_touched() const noexcept { return touched_; }

 protected:
  template <class MakeRouter, class MakeMlp>
  SparseMoeLayer(const StageContext& ctx, const std::string& who, const MoeDims& d, double tokens,
                 MakeRouter make_router, MakeMlp make_mlp)
      : tokens_(tokens),
        hidden_(static_cast<double>(d.hidden)),
        experts_(static_cast<double>(d.experts)),
        top_k_(static_cast<double>(d.top_k)),
        shared_(d.shared_intermediate > 0 ? 1.0 : 0.0),
        ba_(ctx.precision().activation_bytes) {
    if (d.experts == 0 || d.top_k == 0 || d.top_k > d.experts) {
      throw InvalidArgument(who + " needs 1 <= num_experts_per_tok <= n_routed_experts, got k = " +
                            std::to_string(d.top_k) + ", E = " + std::to_string(d.experts));
    }
    if (!(tokens > 0)) throw InvalidArgument(who + " needs tokens > 0");
    const Sharding sh = sharding(ctx);
    ep_ = sh.ep;
    require_moe_layout(d, sh);
    for (auto& c : sparse_moe(ctx, d, tokens, sh, make_router, make_mlp, &touched_)) {
      add_child(std::move(c.name), std::move(c.layer), 1.0, std::move(c.component), std::move(c.fusion));
    }
  }

 private:
  double tokens_;       // T
  double hidden_;       // h
  double experts_;      // E
  double top_k_;        // k
  double shared_;       // s: 1 with shared experts, else 0
  double touched_ = 0;  // g
  double ba_;           // bytes per activation element
  uint64_t ep_ = 1;
};

// Grouped-query self-attention dimensions (LlamaAttention and its copies): H query heads, H_kv key/value heads.
struct GqaDims {
  uint64_t hidden = 0;
  uint64_t heads = 0;
  uint64_t kv_heads = 0;
  uint64_t head_dim = 0;
  bool qkv_bias = false;  // q/k/v projections with bias (Qwen2, Llama `attention_bias`)
  bool o_bias = false;    // o_proj with bias (Llama `attention_bias`)
};

// DeepSeek-V2 multi-head latent attention dimensions (DeepseekV2Config).
struct MlaDims {
  uint64_t hidden = 0;
  uint64_t heads = 0;
  uint64_t q_lora_rank = 0;  // 0: q_proj without low-rank compression
  uint64_t kv_lora_rank = 0;
  uint64_t qk_rope_head_dim = 0;
  uint64_t qk_nope_head_dim = 0;
  uint64_t v_head_dim = 0;
};

// Where the attention core runs in its stage: B sequences of q new positions over a context of kv_len.
struct AttentionPositions {
  uint64_t batch = 1;
  uint64_t query_len = 1;
  uint64_t kv_len = 1;
  bool decode = false;  // context grows by one per step
  mm_attention_impl impl = MM_ATTENTION_FLASH;
  bool kv_cache = true;  // K/V kept in a cache (generation); false: a forward pass (MM_STAGE_FORWARD, training)
  double tokens() const { return static_cast<double>(batch * query_len); }
};

// GQA self-attention: q/k/v projections, rotary embedding, the causal attention core over the KV cache, the
// output projection. `make_rope(tokens, q_heads, k_heads, rope_dim)` builds the plugin's rotary layer class;
// `make_core(const ops::AttentionShape&)` the attention core (ops::attention, or a plugin's variant of it).
// Tensor parallel (tp > 1): each GPU holds H/tp query heads and kv_heads_per_rank(H_kv, tp) key/value heads
// (replicated when tp > H_kv); q/k/v column-parallel, o_proj row-parallel with its all-reduce of T × h.
template <class MakeRope, class MakeCore>
std::vector<NamedLayer> gqa_attention(const StageContext& ctx, const GqaDims& d, const AttentionPositions& at,
                                      MakeRope make_rope, MakeCore make_core, uint64_t tp = 1) {
  if (tp > 1) require_divides("parallel.tp", tp, "num_attention_heads", d.heads);
  const double tokens = at.tokens();  // T = B·q
  const uint64_t heads = tp > 1 ? d.heads / tp : d.heads;
  const uint64_t kv_heads = kv_heads_per_rank(d.kv_heads, tp);
  std::vector<NamedLayer> out;
  // Serving engines run the three projections as one fused QKV GEMM.
  out.push_back({"q_proj", ops::linear(ctx, tokens, d.hidden, heads * d.head_dim, d.qkv_bias), "qkv"});
  out.push_back({"k_proj", ops::linear(ctx, tokens, d.hidden, kv_heads * d.head_dim, d.qkv_bias), "qkv"});
  out.push_back({"v_proj", ops::linear(ctx, tokens, d.hidden, kv_heads * d.head_dim, d.qkv_bias), "qkv"});
  out.push_back({"rotary_emb", make_rope(tokens, heads, kv_heads, d.head_dim)});

  ops::AttentionShape a;
  a.batch = at.batch;
  a.heads = heads;
  a.kv_heads = kv_heads;
  a.head_dim = d.head_dim;
  a.query_len = at.query_len;
  a.kv_len = at.kv_len;
  a.causal = true;
  a.grows_per_step = at.decode;
  a.writes_kv_cache = at.kv_cache;
  a.impl = at.impl;
  out.push_back({"attention", make_core(a)});

  row_parallel_linear(out, ctx, "o_proj", tokens, d.heads * d.head_dim, d.hidden, d.o_bias, tp);
  return out;
}

// MLA in the absorbed form serving engines run (W_UK folded into the query, W_UV applied to the latent
// context): the cache holds the latent c_KV and the shared rotary key k_pe. `make_norm(tokens, width)` and
// `make_rope(tokens, q_heads, k_heads, rope_dim)` build the plugin's own RMSNorm and rotary layer classes.
// `who` names the calling class in errors.
// Tensor parallel (tp > 1): the heads split over the GPUs (q and the per-head absorbed GEMMs column-parallel,
// o_proj row-parallel with its all-reduce); the shared latent projection kv_a_proj and its norm are replicated.
template <class MakeNorm, class MakeRope>
std::vector<NamedLayer> mla_attention(const StageContext& ctx, const MlaDims& d, const AttentionPositions& at,
                                      const std::string& who, MakeNorm make_norm, MakeRope make_rope, uint64_t tp = 1) {
  if (d.heads == 0 || d.kv_lora_rank == 0 || d.qk_rope_head_dim == 0 || d.qk_nope_head_dim == 0 || d.v_head_dim == 0) {
    throw InvalidArgument(who +
                          " (MLA) needs heads, kv_lora_rank, qk_rope_head_dim, qk_nope_head_dim and "
                          "v_head_dim > 0");
  }
  if (tp > 1) require_divides("parallel.tp", tp, "num_attention_heads", d.heads);
  const double tokens = at.tokens();  // T = B·q
  const uint64_t heads = tp > 1 ? d.heads / tp : d.heads;
  const uint64_t nope = d.qk_nope_head_dim;
  const uint64_t rope = d.qk_rope_head_dim;
  const uint64_t latent = d.kv_lora_rank;  // c
  const uint64_t v_dim = d.v_head_dim;
  const uint64_t q_width = heads * (nope + rope);                // H·(d_n + d_r)
  const double head_rows = tokens * static_cast<double>(heads);  // T·H rows of the per-head absorbed GEMMs

  std::vector<NamedLayer> out;
  if (d.q_lora_rank == 0) {
    out.push_back({"q_proj", ops::linear(ctx, tokens, d.hidden, q_width, false)});
  } else {
    out.push_back({"q_a_proj", ops::linear(ctx, tokens, d.hidden, d.q_lora_rank, false)});
    out.push_back({"q_a_layernorm", make_norm(tokens, d.q_lora_rank)});
    out.push_back({"q_b_proj", ops::linear(ctx, tokens, d.q_lora_rank, q_width, false)});
  }
  out.push_back({"kv_a_proj_with_mqa", ops::linear(ctx, tokens, d.hidden, latent + rope, false)});
  out.push_back({"kv_a_layernorm", make_norm(tokens, latent)});
  out.push_back({"kv_b_proj_uk", ops::linear(ctx, head_rows, nope, latent, false, heads)});  // q_nope · W_UK
  out.push_back({"rotary_emb", make_rope(tokens, heads, uint64_t{1}, rope)});

  ops::AttentionShape a;
  a.batch = at.batch;
  a.heads = heads;
  a.kv_heads = 1;              // one latent shared by every head
  a.head_dim = latent + rope;  // scores over [c_KV, k_pe]
  a.v_head_dim = latent;       // context over c_KV
  a.query_len = at.query_len;
  a.kv_len = at.kv_len;
  a.causal = true;
  a.grows_per_step = at.decode;
  a.writes_kv_cache = at.kv_cache;
  a.kv_shared = true;  // V is the first c channels of the cached K
  a.impl = at.impl;
  out.push_back({"attention", ops::attention(ctx, a)});

  out.push_back({"kv_b_proj_uv", ops::linear(ctx, head_rows, latent, v_dim, false, heads)});  // context · W_UV
  row_parallel_linear(out, ctx, "o_proj", tokens, d.heads * v_dim, d.hidden, false, tp);
  return out;
}

}  // namespace modelmeter::blocks

#endif  // MODELMETER_BLOCKS_HPP
