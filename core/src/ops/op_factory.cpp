// Core's generic-op factory: validates an mm_op_spec per kind and creates the op (see modelmeter/core/ops.hpp).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <modelmeter/core/ops.hpp>
#include <string>

#include "add.hpp"
#include "collective.hpp"
#include "conv2d.hpp"
#include "embedding.hpp"
#include "gelu.hpp"
#include "layer_norm.hpp"
#include "linear.hpp"
#include "mul.hpp"
#include "rms_norm.hpp"
#include "scaled_dot_product_attention.hpp"
#include "silu.hpp"
#include "softmax.hpp"

namespace modelmeter::core {

namespace {

// Each check throws InvalidArgument("<field> must be <rule>, got <value>"); create_op's `where` prefixes the
// op kind, so the message reads "Linear: in_features must be > 0, got 0".
[[noreturn]] void fail(const std::string& field, const std::string& rule, const std::string& got) {
  throw InvalidArgument(field + " must be " + rule + ", got " + got);
}

void require_positive(const char* field, uint64_t value) {
  if (value == 0) fail(field, "> 0", "0");
}

void require_positive(const char* field, double value) {
  if (!(std::isfinite(value) && value > 0)) fail(field, "finite and > 0", ops::format_count(value));
}

void require_flag(const char* field, int32_t value) {
  if (value != 0 && value != 1) fail(field, "0 or 1", std::to_string(value));
}

void check_linear(const mm_op_spec& s) {
  require_positive("tokens", s.tokens);
  require_positive("in_features", s.in_features);
  require_positive("out_features", s.out_features);
  require_flag("bias", s.bias);
  const uint64_t groups = s.groups > 0 ? s.groups : 1;
  if (!(std::isfinite(s.groups_touched) && s.groups_touched >= 0)) {
    fail("groups_touched", "finite and >= 0 (0 = all groups)", ops::format_count(s.groups_touched));
  }
  if (s.groups_touched > static_cast<double>(groups)) {
    fail("groups_touched", "<= groups (" + std::to_string(groups) + ")", ops::format_count(s.groups_touched));
  }
}

void check_conv2d(const mm_op_spec& s) {
  require_positive("batch", s.batch);
  require_positive("in_features", s.in_features);
  require_positive("out_features", s.out_features);
  require_positive("in_h", s.in_h);
  require_positive("in_w", s.in_w);
  require_positive("kernel_h", s.kernel_h);
  require_positive("kernel_w", s.kernel_w);
  require_positive("stride", s.stride);
  require_flag("bias", s.bias);
  const auto axis = [&](const char* axis_name, const char* in_field, uint64_t in, const char* kernel_field,
                        uint64_t kernel) {
    if (ops::conv2d_output_size(in, kernel, s.stride, s.padding) == 0) {
      fail(std::string("output ") + axis_name, ">= 1",
           "0 (" + std::string(in_field) + "=" + std::to_string(in) + ", " + kernel_field + "=" +
               std::to_string(kernel) + ", padding=" + std::to_string(s.padding) +
               ", stride=" + std::to_string(s.stride) + ")");
    }
  };
  axis("height", "in_h", s.in_h, "kernel_h", s.kernel_h);
  axis("width", "in_w", s.in_w, "kernel_w", s.kernel_w);
}

void check_features(const mm_op_spec& s) {
  require_positive("tokens", s.tokens);
  require_positive("features", s.features);
}

void check_attention(const mm_op_spec& s) {
  require_positive("batch", s.batch);
  require_positive("heads", s.heads);
  require_positive("head_dim", s.head_dim);
  require_positive("query_len", s.query_len);
  require_positive("kv_len", s.kv_len);
  require_flag("causal", s.causal);
  require_flag("grows_per_step", s.grows_per_step);
  require_flag("writes_kv_cache", s.writes_kv_cache);
  require_flag("kv_shared", s.kv_shared);
  if (s.kv_shared != 0 && s.v_head_dim > s.head_dim) {
    fail("v_head_dim", "<= head_dim (" + std::to_string(s.head_dim) + ") when kv_shared", std::to_string(s.v_head_dim));
  }
  if (s.impl != MM_ATTENTION_EAGER && s.impl != MM_ATTENTION_FLASH) {
    fail("impl", "eager (0) or flash (1)", std::to_string(s.impl));
  }
  const uint64_t kv_heads = s.kv_heads > 0 ? s.kv_heads : s.heads;
  if (s.heads % kv_heads != 0) {
    fail("kv_heads", "a divisor of heads (" + std::to_string(s.heads) + ")", std::to_string(kv_heads));
  }
  if (s.causal != 0 && s.query_len > s.kv_len) {
    fail("query_len", "<= kv_len (" + std::to_string(s.kv_len) + ") for causal attention", std::to_string(s.query_len));
  }
}

void check_collective(const mm_op_spec& s) {
  require_positive("tokens", s.tokens);
  require_positive("features", s.features);
  require_positive("ranks", s.ranks);
  if (s.comm_group < MM_COMM_GROUP_TP || s.comm_group > MM_COMM_GROUP_DP) {
    fail("comm_group", "tp (0), ep (1), pp (2) or dp (3)", std::to_string(s.comm_group));
  }
}

// Validates the spec for its kind and creates the op.
LayerPtr make_op(const StageContext& ctx, const mm_op_spec& s) {
  const mm_precision& p = ctx.precision();
  require_positive("precision.activation_bytes", p.activation_bytes);
  require_flag("shared_weights", s.shared_weights);
  switch (s.kind) {
    case MM_OP_LINEAR:
      check_linear(s);
      require_positive("precision.weight_bytes", p.weight_bytes);
      return make_layer<ops::Linear>(ctx, s);
    case MM_OP_CONV2D:
      check_conv2d(s);
      require_positive("precision.weight_bytes", p.weight_bytes);
      return make_layer<ops::Conv2d>(ctx, s);
    case MM_OP_LAYERNORM:
      check_features(s);
      require_flag("bias", s.bias);
      require_positive("precision.weight_bytes", p.weight_bytes);
      return make_layer<ops::LayerNorm>(ctx, s);
    case MM_OP_RMSNORM:
      check_features(s);
      require_positive("precision.weight_bytes", p.weight_bytes);
      return make_layer<ops::RMSNorm>(ctx, s);
    case MM_OP_GELU:
      check_features(s);
      require_flag("quick_gelu", s.quick_gelu);
      return make_layer<ops::GELU>(ctx, s);
    case MM_OP_SILU:
      check_features(s);
      return make_layer<ops::SiLU>(ctx, s);
    case MM_OP_EMBEDDING:
      check_features(s);
      require_positive("vocab", s.vocab);
      require_positive("precision.weight_bytes", p.weight_bytes);
      return make_layer<ops::Embedding>(ctx, s);
    case MM_OP_ADD:
      check_features(s);
      return make_layer<ops::Add>(ctx, s);
    case MM_OP_MUL:
      check_features(s);
      return make_layer<ops::Mul>(ctx, s);
    case MM_OP_SOFTMAX:
      check_features(s);
      return make_layer<ops::Softmax>(ctx, s);
    case MM_OP_ATTENTION:
      check_attention(s);
      if (s.writes_kv_cache != 0) require_positive("precision.kv_cache_bytes", p.kv_cache_bytes);
      return make_layer<ops::ScaledDotProductAttention>(ctx, s);
    case MM_OP_ALL_REDUCE:
      check_collective(s);
      return make_layer<ops::AllReduce>(ctx, s);
    case MM_OP_ALL_GATHER:
      check_collective(s);
      return make_layer<ops::AllGather>(ctx, s);
    case MM_OP_REDUCE_SCATTER:
      check_collective(s);
      return make_layer<ops::ReduceScatter>(ctx, s);
    case MM_OP_ALL_TO_ALL:
      check_collective(s);
      return make_layer<ops::AllToAll>(ctx, s);
    case MM_OP_SEND_RECV:
      check_collective(s);
      return make_layer<ops::SendRecv>(ctx, s);
    default:
      throw InvalidArgument("unknown op kind " + std::to_string(s.kind));
  }
}

// Copies a size-prefixed ABI struct: min(struct_size, sizeof) bytes into a zeroed struct (a field the writer
// predates reads as 0 = "not provided"); refuses one too small to hold `needed` bytes.
template <class T>
T read_sized(const T* raw, std::size_t needed, const char* what, std::size_t at_most = sizeof(T)) {
  if (raw->struct_size < needed) {
    throw InvalidArgument(std::string(what) + " struct_size " + std::to_string(raw->struct_size) +
                          " is too small (at least " + std::to_string(needed) + ")");
  }
  T copy{};
  std::memcpy(&copy, raw, std::min<std::size_t>({raw->struct_size, sizeof copy, at_most}));
  return copy;
}

const char* kind_name(const mm_op_spec* spec) noexcept {
  if (spec == nullptr || spec->struct_size < offsetof(mm_op_spec, kind) + sizeof spec->kind) return "create_op";
  const auto classes = op_classes();
  return spec->kind >= 0 && static_cast<std::size_t>(spec->kind) < classes.size() ? classes[spec->kind]->name
                                                                                  : "create_op";
}

}  // namespace

mm_status create_op(const mm_stage_context* ctx, const mm_op_spec* spec, mm_layer** out, mm_error* err) noexcept {
  if (out != nullptr) *out = nullptr;
  return modelmeter::detail::guarded(err, kind_name(spec), [&] {
    if (ctx == nullptr || spec == nullptr || out == nullptr) throw InvalidArgument("null argument to create_op");
    mm_op_spec s = read_sized(spec, offsetof(mm_op_spec, tokens) + sizeof spec->tokens, "op spec");
    // A collective with ranks = 0 takes its group's degree from the stage's layout. Only an SDK of 1.3 or later
    // makes collectives, and its contexts carry a valid `parallel` (older SDKs cannot name these kinds).
    if (s.kind >= MM_OP_ALL_REDUCE && s.kind <= MM_OP_SEND_RECV && s.ranks == 0 &&
        ctx->struct_size >= offsetof(mm_stage_context, parallel) + sizeof ctx->parallel && ctx->parallel != nullptr) {
      mm_parallel par{};
      std::memcpy(&par, ctx->parallel, std::min<std::size_t>(ctx->parallel->struct_size, sizeof par));
      const uint32_t degree = s.comm_group == MM_COMM_GROUP_EP   ? par.ep
                              : s.comm_group == MM_COMM_GROUP_PP ? par.pp
                              : s.comm_group == MM_COMM_GROUP_DP ? par.dp
                                                                 : par.tp;
      s.ranks = degree > 0 ? degree : 1;
    }
    // Only the 1.0 fields of the context are read (never past them): the SDKs before 1.3 kept the host's larger
    // struct_size in their own, shorter copy of it, so struct_size may promise bytes the object does not have.
    mm_stage_context c = read_sized(ctx, offsetof(mm_stage_context, precision) + sizeof ctx->precision, "stage context",
                                    offsetof(mm_stage_context, parallel));
    if (c.precision == nullptr) throw InvalidArgument("the stage context has no precision");
    // Core's ops use only those 1.0 fields (a collective's GPU count is settled above, in the op spec).
    c.parallel = nullptr;
    c.task = MM_TASK_GENERATE;
    const mm_precision p = read_sized(c.precision, offsetof(mm_precision, struct_size) + sizeof(uint32_t), "precision");
    c.precision = &p;
    *out = make_op(StageContext(c), s).release();
  });
}

std::span<const mm_layer_class* const> op_classes() noexcept {
  // In mm_op_kind order.
  static constexpr std::array<const mm_layer_class*, MM_OP_COUNT> kClasses = {
      &class_table<ops::Linear>,
      &class_table<ops::Conv2d>,
      &class_table<ops::LayerNorm>,
      &class_table<ops::RMSNorm>,
      &class_table<ops::GELU>,
      &class_table<ops::SiLU>,
      &class_table<ops::Embedding>,
      &class_table<ops::Add>,
      &class_table<ops::Mul>,
      &class_table<ops::Softmax>,
      &class_table<ops::ScaledDotProductAttention>,
      &class_table<ops::AllReduce>,
      &class_table<ops::AllGather>,
      &class_table<ops::ReduceScatter>,
      &class_table<ops::AllToAll>,
      &class_table<ops::SendRecv>,
  };
  return kClasses;
}

}  // namespace modelmeter::core

namespace modelmeter::core::ops {

namespace {
template <class T>
const CoreOp* as_core_op(const mm_layer* layer) noexcept {
  return layer->cls == &::modelmeter::class_table<T> ? &::modelmeter::detail::impl_of<T>(layer) : nullptr;
}
}  // namespace

const CoreOp* core_op_of(const mm_layer* layer) noexcept {
  if (layer == nullptr) return nullptr;
  for (const CoreOp* op :
       {as_core_op<Linear>(layer), as_core_op<Conv2d>(layer), as_core_op<LayerNorm>(layer), as_core_op<RMSNorm>(layer),
        as_core_op<GELU>(layer), as_core_op<SiLU>(layer), as_core_op<Embedding>(layer), as_core_op<Add>(layer),
        as_core_op<Mul>(layer), as_core_op<Softmax>(layer), as_core_op<ScaledDotProductAttention>(layer),
        as_core_op<AllReduce>(layer), as_core_op<AllGather>(layer), as_core_op<ReduceScatter>(layer),
        as_core_op<AllToAll>(layer), as_core_op<SendRecv>(layer)}) {
    if (op != nullptr) return op;
  }
  return nullptr;
}

}  // namespace modelmeter::core::ops
