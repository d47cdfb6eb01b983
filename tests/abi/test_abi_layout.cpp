// Freezes the plugin ABI: the size, alignment and field offsets of every struct in modelmeter/abi.h on LP64
// (x86_64 and other LP64 Linux targets), the signatures of its function pointers and the values of its
// enums. These numbers are written out literally: if one of them changes, a plugin built against an
// earlier header would read the wrong bytes. Structs may only grow at the end (add a field after the last
// one, bump MM_ABI_VERSION_MINOR, add its offset here); enum and metric values are append-only.
//
// It also proves that ABI 1.0 (sdk/include/modelmeter/abi_v1_0.h, a frozen copy of the header as released) is
// a strict prefix of the current ABI: same offsets for every field 1.0 has, the 1.1 additions only at the
// end, the same enum values.

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

// ABI 1.0, in its own namespace (its types have the same names as the current ones). Its macros are
// captured and removed before the current header is included.
namespace v1_0 {
#include <modelmeter/abi_v1_0.h>
inline constexpr uint32_t kVersion = MM_ABI_VERSION;
inline constexpr uint32_t kMinSupported = MM_ABI_MIN_SUPPORTED;
inline constexpr int kErrorCapacity = MM_ERROR_MESSAGE_CAPACITY;
inline constexpr std::string_view kEntrySymbol = MM_PLUGIN_ENTRY_SYMBOL;
}  // namespace v1_0
#undef MM_ABI_VERSION_MAJOR
#undef MM_ABI_VERSION_MINOR
#undef MM_ABI_MAKE_VERSION
#undef MM_ABI_VERSION
#undef MM_ABI_MIN_SUPPORTED
#undef MM_ABI_MAJOR_OF
#undef MM_ABI_MINOR_OF
#undef MM_PLUGIN_ENTRY_SYMBOL
#undef MM_EXPORT
#undef MM_ERROR_MESSAGE_CAPACITY

#include <doctest/doctest.h>
#include <modelmeter/abi.h>

// ------------------------------------------------------------------------------------------------------
// Versions and constants

static_assert(MM_ABI_VERSION_MAJOR == 1 && MM_ABI_VERSION_MINOR == 3);
static_assert(MM_ABI_MAKE_VERSION(1, 1) == 0x00010001u);
static_assert(MM_ABI_VERSION == 0x00010003u);
static_assert(MM_ABI_MIN_SUPPORTED == 0x00010000u);
static_assert(MM_ABI_MAJOR_OF(0x00020003u) == 2 && MM_ABI_MINOR_OF(0x00020003u) == 3);
static_assert(MM_ERROR_MESSAGE_CAPACITY == 1024);
static_assert(v1_0::kVersion == 0x00010000u);
static_assert(v1_0::kMinSupported == MM_ABI_MIN_SUPPORTED);
static_assert(v1_0::kErrorCapacity == MM_ERROR_MESSAGE_CAPACITY);
static_assert(v1_0::kEntrySymbol == MM_PLUGIN_ENTRY_SYMBOL);
static_assert(std::string_view(MM_PLUGIN_ENTRY_SYMBOL) == "modelmeter_plugin_entry");

// ------------------------------------------------------------------------------------------------------
// Struct layout, LP64

#define MM_FROZEN_SIZE(T, size, align)                                                \
  static_assert(sizeof(T) == (size), "sizeof(" #T ") changed: the ABI is frozen");    \
  static_assert(alignof(T) == (align), "alignof(" #T ") changed: the ABI is frozen"); \
  static_assert(std::is_standard_layout_v<T> && std::is_trivially_copyable_v<T>, #T " is a C struct")
// The field's offset and its exact type (a function pointer's full signature included).
#define MM_FROZEN_FIELD(T, field, offset, ...)                                                              \
  static_assert(offsetof(T, field) == (offset), "offsetof(" #T ", " #field ") changed: the ABI is frozen"); \
  static_assert(std::is_same_v<decltype(T::field), __VA_ARGS__>, "type of " #T "." #field " changed")

#if defined(__LP64__) || defined(_LP64)
static_assert(sizeof(void*) == 8 && sizeof(size_t) == 8 && alignof(double) == 8 && alignof(int64_t) == 8);

MM_FROZEN_SIZE(mm_error, 1028, 4);
MM_FROZEN_FIELD(mm_error, code, 0, mm_status);
MM_FROZEN_FIELD(mm_error, message, 4, char[1024]);

MM_FROZEN_SIZE(mm_eval, 24, 8);
MM_FROZEN_FIELD(mm_eval, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_eval, pass, 4, mm_pass);
MM_FROZEN_FIELD(mm_eval, first_step, 8, uint64_t);
MM_FROZEN_FIELD(mm_eval, step_count, 16, uint64_t);

MM_FROZEN_SIZE(mm_precision, 40, 8);
MM_FROZEN_FIELD(mm_precision, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_precision, weights, 4, mm_dtype);
MM_FROZEN_FIELD(mm_precision, activations, 8, mm_dtype);
MM_FROZEN_FIELD(mm_precision, kv_cache, 12, mm_dtype);
MM_FROZEN_FIELD(mm_precision, weight_bytes, 16, double);
MM_FROZEN_FIELD(mm_precision, activation_bytes, 24, double);
MM_FROZEN_FIELD(mm_precision, kv_cache_bytes, 32, double);

MM_FROZEN_SIZE(mm_parallel, 24, 4);  // 1.3
MM_FROZEN_FIELD(mm_parallel, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_parallel, tp, 4, uint32_t);
MM_FROZEN_FIELD(mm_parallel, pp, 8, uint32_t);
MM_FROZEN_FIELD(mm_parallel, ep, 12, uint32_t);
MM_FROZEN_FIELD(mm_parallel, dp, 16, uint32_t);
MM_FROZEN_FIELD(mm_parallel, pp_rank, 20, uint32_t);

MM_FROZEN_SIZE(mm_stage_context, 80, 8);
MM_FROZEN_FIELD(mm_stage_context, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_stage_context, stage, 4, mm_stage);
MM_FROZEN_FIELD(mm_stage_context, config, 8, const mm_config*);
MM_FROZEN_FIELD(mm_stage_context, precision, 16, const mm_precision*);
MM_FROZEN_FIELD(mm_stage_context, batch, 24, uint64_t);
MM_FROZEN_FIELD(mm_stage_context, query_tokens, 32, uint64_t);
MM_FROZEN_FIELD(mm_stage_context, kv_len, 40, uint64_t);
MM_FROZEN_FIELD(mm_stage_context, steps, 48, uint64_t);
MM_FROZEN_FIELD(mm_stage_context, attention, 56, mm_attention_impl);
MM_FROZEN_FIELD(mm_stage_context, parallel, 64, const mm_parallel*);  // 1.3
MM_FROZEN_FIELD(mm_stage_context, task, 72, mm_task);                 // 1.3

MM_FROZEN_SIZE(mm_value, 48, 8);
MM_FROZEN_FIELD(mm_value, type, 0, mm_value_type);
MM_FROZEN_FIELD(mm_value, boolean, 4, int32_t);
MM_FROZEN_FIELD(mm_value, integer, 8, int64_t);
MM_FROZEN_FIELD(mm_value, number, 16, double);
MM_FROZEN_FIELD(mm_value, string, 24, const char*);
MM_FROZEN_FIELD(mm_value, ints, 32, const int64_t*);
MM_FROZEN_FIELD(mm_value, count, 40, size_t);

MM_FROZEN_SIZE(mm_key_decl, 72, 8);
MM_FROZEN_FIELD(mm_key_decl, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_key_decl, key, 8, const char*);
MM_FROZEN_FIELD(mm_key_decl, type, 16, mm_value_type);
MM_FROZEN_FIELD(mm_key_decl, default_value, 24, const char*);
MM_FROZEN_FIELD(mm_key_decl, min, 32, double);
MM_FROZEN_FIELD(mm_key_decl, max, 40, double);
MM_FROZEN_FIELD(mm_key_decl, allowed, 48, const char*);
MM_FROZEN_FIELD(mm_key_decl, min_count, 56, uint32_t);
MM_FROZEN_FIELD(mm_key_decl, max_count, 60, uint32_t);
MM_FROZEN_FIELD(mm_key_decl, help, 64, const char*);

MM_FROZEN_SIZE(mm_layer, 8, 8);
MM_FROZEN_FIELD(mm_layer, cls, 0, const mm_layer_class*);

MM_FROZEN_SIZE(mm_child, 48, 8);
MM_FROZEN_FIELD(mm_child, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_child, name, 8, const char*);
MM_FROZEN_FIELD(mm_child, layer, 16, const mm_layer*);
MM_FROZEN_FIELD(mm_child, repeat, 24, double);
MM_FROZEN_FIELD(mm_child, component, 32, const char*);
MM_FROZEN_FIELD(mm_child, fusion, 40, const char*);  // 1.2

MM_FROZEN_SIZE(mm_layer_class, 72, 8);
MM_FROZEN_FIELD(mm_layer_class, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_layer_class, abi_version, 4, uint32_t);
MM_FROZEN_FIELD(mm_layer_class, name, 8, const char*);
MM_FROZEN_FIELD(mm_layer_class, category, 16, mm_category);
MM_FROZEN_FIELD(mm_layer_class, doc, 24, const char*);
MM_FROZEN_FIELD(mm_layer_class, metrics, 32,
                mm_status (*)(const mm_layer* self, const mm_eval* eval, double* out, uint32_t capacity,
                              uint32_t* filled, mm_error* err));
MM_FROZEN_FIELD(mm_layer_class, child_count, 40, mm_status (*)(const mm_layer* self, uint32_t* out, mm_error* err));
MM_FROZEN_FIELD(mm_layer_class, child, 48,
                mm_status (*)(const mm_layer* self, uint32_t index, mm_child* out, mm_error* err));
MM_FROZEN_FIELD(mm_layer_class, destroy, 56, void (*)(mm_layer* self));
MM_FROZEN_FIELD(mm_layer_class, shapes, 64,
                mm_status (*)(const mm_layer* self, char* buffer, size_t capacity, mm_error* err));

MM_FROZEN_SIZE(mm_op_spec, 224, 8);
MM_FROZEN_FIELD(mm_op_spec, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_op_spec, kind, 4, mm_op_kind);
MM_FROZEN_FIELD(mm_op_spec, tokens, 8, double);
MM_FROZEN_FIELD(mm_op_spec, in_features, 16, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, out_features, 24, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, features, 32, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, bias, 40, int32_t);
MM_FROZEN_FIELD(mm_op_spec, groups, 48, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, groups_touched, 56, double);
MM_FROZEN_FIELD(mm_op_spec, vocab, 64, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, batch, 72, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, in_h, 80, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, in_w, 88, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, kernel_h, 96, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, kernel_w, 104, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, stride, 112, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, padding, 120, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, heads, 128, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, kv_heads, 136, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, head_dim, 144, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, v_head_dim, 152, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, query_len, 160, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, kv_len, 168, uint64_t);
MM_FROZEN_FIELD(mm_op_spec, causal, 176, int32_t);
MM_FROZEN_FIELD(mm_op_spec, grows_per_step, 180, int32_t);
MM_FROZEN_FIELD(mm_op_spec, impl, 184, mm_attention_impl);
MM_FROZEN_FIELD(mm_op_spec, writes_kv_cache, 188, int32_t);
MM_FROZEN_FIELD(mm_op_spec, quick_gelu, 192, int32_t);
MM_FROZEN_FIELD(mm_op_spec, shared_weights, 196, int32_t);
MM_FROZEN_FIELD(mm_op_spec, kv_shared, 200, int32_t);
MM_FROZEN_FIELD(mm_op_spec, ranks, 208, uint64_t);            // 1.3
MM_FROZEN_FIELD(mm_op_spec, comm_group, 216, mm_comm_group);  // 1.3

MM_FROZEN_SIZE(mm_doc, 56, 8);
MM_FROZEN_FIELD(mm_doc, type, 0, mm_doc_type);
MM_FROZEN_FIELD(mm_doc, boolean, 4, int32_t);
MM_FROZEN_FIELD(mm_doc, integer, 8, int64_t);
MM_FROZEN_FIELD(mm_doc, number, 16, double);
MM_FROZEN_FIELD(mm_doc, string, 24, const char*);
MM_FROZEN_FIELD(mm_doc, size, 32, size_t);
MM_FROZEN_FIELD(mm_doc, keys, 40, const char* const*);
MM_FROZEN_FIELD(mm_doc, items, 48, const mm_doc* const*);

MM_FROZEN_SIZE(mm_host_api, 40, 8);
MM_FROZEN_FIELD(mm_host_api, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_host_api, abi_version, 4, uint32_t);
MM_FROZEN_FIELD(mm_host_api, log, 8, void (*)(mm_log_level level, const char* message));
MM_FROZEN_FIELD(mm_host_api, config_get, 16,
                mm_status (*)(const mm_config* config, const char* key, mm_value* out, mm_error* err));
MM_FROZEN_FIELD(mm_host_api, create_op, 24,
                mm_status (*)(const mm_stage_context* ctx, const mm_op_spec* spec, mm_layer** out, mm_error* err));
MM_FROZEN_FIELD(mm_host_api, emit_file, 32,
                mm_status (*)(mm_output* output, const char* relative_path, const char* data, size_t size,
                              mm_error* err));

MM_FROZEN_SIZE(mm_plan, 56, 8);
MM_FROZEN_FIELD(mm_plan, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_plan, vision_tokens, 8, uint64_t);
MM_FROZEN_FIELD(mm_plan, prefill_tokens, 16, uint64_t);
MM_FROZEN_FIELD(mm_plan, max_positions, 24, uint64_t);
MM_FROZEN_FIELD(mm_plan, has_vision, 32, int32_t);
MM_FROZEN_FIELD(mm_plan, default_attention, 36, mm_attention_impl);
MM_FROZEN_FIELD(mm_plan, model_name, 40, const char*);
MM_FROZEN_FIELD(mm_plan, idle_parameters, 48, double);

MM_FROZEN_SIZE(mm_plugin_info, 112, 8);
MM_FROZEN_FIELD(mm_plugin_info, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_plugin_info, abi_version, 4, uint32_t);
MM_FROZEN_FIELD(mm_plugin_info, kind, 8, mm_plugin_kind);
MM_FROZEN_FIELD(mm_plugin_info, name, 16, const char*);
MM_FROZEN_FIELD(mm_plugin_info, version, 24, const char*);
MM_FROZEN_FIELD(mm_plugin_info, description, 32, const char*);
MM_FROZEN_FIELD(mm_plugin_info, class_count, 40, size_t);
MM_FROZEN_FIELD(mm_plugin_info, classes, 48, const mm_layer_class* const*);
MM_FROZEN_FIELD(mm_plugin_info, key_count, 56, size_t);
MM_FROZEN_FIELD(mm_plugin_info, keys, 64, const mm_key_decl* const*);
MM_FROZEN_FIELD(mm_plugin_info, plan, 72, mm_status (*)(const mm_config* config, mm_plan* out, mm_error* err));
MM_FROZEN_FIELD(mm_plugin_info, build_stage, 80,
                mm_status (*)(const mm_stage_context* ctx, mm_layer** out_root, mm_error* err));
MM_FROZEN_FIELD(mm_plugin_info, format, 88, const char*);
MM_FROZEN_FIELD(mm_plugin_info, write, 96, mm_status (*)(const mm_doc* report, mm_output* output, mm_error* err));
MM_FROZEN_FIELD(mm_plugin_info, parallel, 104, uint32_t);  // 1.3
MM_FROZEN_FIELD(mm_plugin_info, tasks, 108, uint32_t);     // 1.3

MM_FROZEN_SIZE(mm_negotiation, 40, 8);
MM_FROZEN_FIELD(mm_negotiation, struct_size, 0, uint32_t);
MM_FROZEN_FIELD(mm_negotiation, host_abi_version, 4, uint32_t);
MM_FROZEN_FIELD(mm_negotiation, host_abi_min_version, 8, uint32_t);
MM_FROZEN_FIELD(mm_negotiation, host, 16, const mm_host_api*);
MM_FROZEN_FIELD(mm_negotiation, plugin_abi_version, 24, uint32_t);
MM_FROZEN_FIELD(mm_negotiation, info, 32, const mm_plugin_info*);
#define MM_LAYOUT_FROZEN 1
#else
#define MM_LAYOUT_FROZEN 0  // not LP64: the literal numbers above do not apply (the prefix checks below still do)
#endif

// ------------------------------------------------------------------------------------------------------
// Scalar typedefs

static_assert(std::is_same_v<mm_status, int32_t>);
static_assert(std::is_same_v<mm_metric_id, uint32_t>);
static_assert(std::is_same_v<mm_pass, int32_t>);
static_assert(std::is_same_v<mm_category, int32_t>);
static_assert(std::is_same_v<mm_stage, int32_t>);
static_assert(std::is_same_v<mm_dtype, int32_t>);
static_assert(std::is_same_v<mm_attention_impl, int32_t>);
static_assert(std::is_same_v<mm_value_type, int32_t>);
static_assert(std::is_same_v<mm_op_kind, int32_t>);
static_assert(std::is_same_v<mm_doc_type, int32_t>);
static_assert(std::is_same_v<mm_log_level, int32_t>);
static_assert(std::is_same_v<mm_plugin_kind, int32_t>);
static_assert(std::is_same_v<mm_task, int32_t>);
static_assert(std::is_same_v<mm_comm_group, int32_t>);
static_assert(std::is_same_v<mm_plugin_entry_fn, mm_status (*)(mm_negotiation*, mm_error*)>);

// ------------------------------------------------------------------------------------------------------
// Enum values (append-only: an existing value never changes, new ones go before the *_COUNT markers)

static_assert(MM_OK == 0 && MM_ERR_INVALID_ARGUMENT == 1 && MM_ERR_NOT_MODELED == 2 && MM_ERR_VERSION == 3 &&
              MM_ERR_INTERNAL == 4 && MM_ERR_OUT_OF_MEMORY == 5 && MM_ERR_NOT_FOUND == 6 && MM_ERR_IO == 7);
static_assert(MM_METRIC_TC_FLOPS == 0 && MM_METRIC_CUDA_FLOPS == 1 && MM_METRIC_IO_BYTES == 2 &&
              MM_METRIC_WEIGHT_BYTES == 3 && MM_METRIC_PARAMETERS == 4 && MM_METRIC_ACTIVATION_BYTES == 5 &&
              MM_METRIC_KV_CACHE_BYTES == 6 && MM_METRIC_LIVE_BYTES == 7 && MM_METRIC_COMM_BYTES == 8);
static_assert(MM_METRIC_COUNT_1_0 == 7 && MM_METRIC_COUNT_1_1 == 8 && MM_METRIC_COUNT_1_3 == 9 && MM_METRIC_COUNT == 9);
static_assert(MM_PASS_FORWARD == 0 && MM_PASS_BACKWARD == 1);
static_assert(MM_CATEGORY_COMPOSITE == 0 && MM_CATEGORY_MATMUL == 1 && MM_CATEGORY_CONV == 2 &&
              MM_CATEGORY_ATTENTION == 3 && MM_CATEGORY_NORM == 4 && MM_CATEGORY_ACTIVATION == 5 &&
              MM_CATEGORY_ELEMENTWISE == 6 && MM_CATEGORY_EMBEDDING == 7 && MM_CATEGORY_MOE_ROUTING == 8 &&
              MM_CATEGORY_POSITIONAL == 9 && MM_CATEGORY_DATA_MOVEMENT == 10 && MM_CATEGORY_COUNT_1_0 == 11 &&
              MM_CATEGORY_COMMUNICATION == 11 && MM_CATEGORY_COUNT == 12);
static_assert(MM_STAGE_VISION == 0 && MM_STAGE_PREFILL == 1 && MM_STAGE_DECODE == 2 && MM_STAGE_COUNT_1_0 == 3 &&
              MM_STAGE_FORWARD == 3 && MM_STAGE_COUNT == 4);
static_assert(MM_TASK_GENERATE == 0 && MM_TASK_FORWARD == 1 && MM_TASK_TRAIN == 2 && MM_TASK_COUNT == 3);
static_assert(MM_TASK_BIT(MM_TASK_GENERATE) == 1u && MM_TASK_BIT(MM_TASK_FORWARD) == 2u &&
              MM_TASK_BIT(MM_TASK_TRAIN) == 4u);
static_assert(MM_PARALLEL_TP == 1u && MM_PARALLEL_PP == 2u && MM_PARALLEL_EP == 4u);
static_assert(MM_COMM_GROUP_TP == 0 && MM_COMM_GROUP_EP == 1 && MM_COMM_GROUP_PP == 2 && MM_COMM_GROUP_DP == 3);
static_assert(MM_DTYPE_FP32 == 0 && MM_DTYPE_BF16 == 1 && MM_DTYPE_FP16 == 2 && MM_DTYPE_FP8 == 3 &&
              MM_DTYPE_INT8 == 4 && MM_DTYPE_INT4 == 5);
static_assert(MM_ATTENTION_EAGER == 0 && MM_ATTENTION_FLASH == 1);
static_assert(MM_VALUE_NONE == 0 && MM_VALUE_BOOL == 1 && MM_VALUE_INT == 2 && MM_VALUE_FLOAT == 3 &&
              MM_VALUE_STRING == 4 && MM_VALUE_INT_ARRAY == 5);
static_assert(MM_OP_LINEAR == 0 && MM_OP_CONV2D == 1 && MM_OP_LAYERNORM == 2 && MM_OP_RMSNORM == 3 && MM_OP_GELU == 4 &&
              MM_OP_SILU == 5 && MM_OP_EMBEDDING == 6 && MM_OP_ADD == 7 && MM_OP_MUL == 8 && MM_OP_SOFTMAX == 9 &&
              MM_OP_ATTENTION == 10 && MM_OP_COUNT_1_0 == 11 && MM_OP_ALL_REDUCE == 11 && MM_OP_ALL_GATHER == 12 &&
              MM_OP_REDUCE_SCATTER == 13 && MM_OP_ALL_TO_ALL == 14 && MM_OP_SEND_RECV == 15 && MM_OP_COUNT == 16);
static_assert(MM_DOC_NULL == 0 && MM_DOC_BOOL == 1 && MM_DOC_INT == 2 && MM_DOC_NUMBER == 3 && MM_DOC_STRING == 4 &&
              MM_DOC_ARRAY == 5 && MM_DOC_OBJECT == 6);
static_assert(MM_LOG_DEBUG == 0 && MM_LOG_INFO == 1 && MM_LOG_WARN == 2 && MM_LOG_ERROR == 3);
static_assert(MM_PLUGIN_MODEL == 0 && MM_PLUGIN_WRITER == 1);

// Every enumerator 1.0 had keeps its 1.0 value.
#define MM_SAME_VALUE(name)                                                           \
  static_assert(static_cast<long long>(v1_0::name) == static_cast<long long>(::name), \
                #name " changed value since ABI 1.0")
MM_SAME_VALUE(MM_OK);
MM_SAME_VALUE(MM_ERR_INVALID_ARGUMENT);
MM_SAME_VALUE(MM_ERR_NOT_MODELED);
MM_SAME_VALUE(MM_ERR_VERSION);
MM_SAME_VALUE(MM_ERR_INTERNAL);
MM_SAME_VALUE(MM_ERR_OUT_OF_MEMORY);
MM_SAME_VALUE(MM_ERR_NOT_FOUND);
MM_SAME_VALUE(MM_ERR_IO);
MM_SAME_VALUE(MM_METRIC_TC_FLOPS);
MM_SAME_VALUE(MM_METRIC_CUDA_FLOPS);
MM_SAME_VALUE(MM_METRIC_IO_BYTES);
MM_SAME_VALUE(MM_METRIC_WEIGHT_BYTES);
MM_SAME_VALUE(MM_METRIC_PARAMETERS);
MM_SAME_VALUE(MM_METRIC_ACTIVATION_BYTES);
MM_SAME_VALUE(MM_METRIC_KV_CACHE_BYTES);
MM_SAME_VALUE(MM_METRIC_COUNT_1_0);
MM_SAME_VALUE(MM_PASS_FORWARD);
MM_SAME_VALUE(MM_PASS_BACKWARD);
MM_SAME_VALUE(MM_CATEGORY_COMPOSITE);
MM_SAME_VALUE(MM_CATEGORY_MATMUL);
MM_SAME_VALUE(MM_CATEGORY_CONV);
MM_SAME_VALUE(MM_CATEGORY_ATTENTION);
MM_SAME_VALUE(MM_CATEGORY_NORM);
MM_SAME_VALUE(MM_CATEGORY_ACTIVATION);
MM_SAME_VALUE(MM_CATEGORY_ELEMENTWISE);
MM_SAME_VALUE(MM_CATEGORY_EMBEDDING);
MM_SAME_VALUE(MM_CATEGORY_MOE_ROUTING);
MM_SAME_VALUE(MM_CATEGORY_POSITIONAL);
MM_SAME_VALUE(MM_CATEGORY_DATA_MOVEMENT);
// The *_COUNT markers grow; 1.0's count is the current *_COUNT_1_0.
static_assert(static_cast<long long>(v1_0::MM_CATEGORY_COUNT) == static_cast<long long>(MM_CATEGORY_COUNT_1_0));
static_assert(static_cast<long long>(v1_0::MM_STAGE_COUNT) == static_cast<long long>(MM_STAGE_COUNT_1_0));
static_assert(static_cast<long long>(v1_0::MM_OP_COUNT) == static_cast<long long>(MM_OP_COUNT_1_0));
static_assert(static_cast<long long>(v1_0::MM_METRIC_COUNT) == static_cast<long long>(MM_METRIC_COUNT_1_0));
MM_SAME_VALUE(MM_STAGE_VISION);
MM_SAME_VALUE(MM_STAGE_PREFILL);
MM_SAME_VALUE(MM_STAGE_DECODE);
MM_SAME_VALUE(MM_DTYPE_FP32);
MM_SAME_VALUE(MM_DTYPE_BF16);
MM_SAME_VALUE(MM_DTYPE_FP16);
MM_SAME_VALUE(MM_DTYPE_FP8);
MM_SAME_VALUE(MM_DTYPE_INT8);
MM_SAME_VALUE(MM_DTYPE_INT4);
MM_SAME_VALUE(MM_ATTENTION_EAGER);
MM_SAME_VALUE(MM_ATTENTION_FLASH);
MM_SAME_VALUE(MM_VALUE_NONE);
MM_SAME_VALUE(MM_VALUE_BOOL);
MM_SAME_VALUE(MM_VALUE_INT);
MM_SAME_VALUE(MM_VALUE_FLOAT);
MM_SAME_VALUE(MM_VALUE_STRING);
MM_SAME_VALUE(MM_VALUE_INT_ARRAY);
MM_SAME_VALUE(MM_OP_LINEAR);
MM_SAME_VALUE(MM_OP_CONV2D);
MM_SAME_VALUE(MM_OP_LAYERNORM);
MM_SAME_VALUE(MM_OP_RMSNORM);
MM_SAME_VALUE(MM_OP_GELU);
MM_SAME_VALUE(MM_OP_SILU);
MM_SAME_VALUE(MM_OP_EMBEDDING);
MM_SAME_VALUE(MM_OP_ADD);
MM_SAME_VALUE(MM_OP_MUL);
MM_SAME_VALUE(MM_OP_SOFTMAX);
MM_SAME_VALUE(MM_OP_ATTENTION);
MM_SAME_VALUE(MM_DOC_NULL);
MM_SAME_VALUE(MM_DOC_BOOL);
MM_SAME_VALUE(MM_DOC_INT);
MM_SAME_VALUE(MM_DOC_NUMBER);
MM_SAME_VALUE(MM_DOC_STRING);
MM_SAME_VALUE(MM_DOC_ARRAY);
MM_SAME_VALUE(MM_DOC_OBJECT);
MM_SAME_VALUE(MM_LOG_DEBUG);
MM_SAME_VALUE(MM_LOG_INFO);
MM_SAME_VALUE(MM_LOG_WARN);
MM_SAME_VALUE(MM_LOG_ERROR);
MM_SAME_VALUE(MM_PLUGIN_MODEL);
MM_SAME_VALUE(MM_PLUGIN_WRITER);

// ------------------------------------------------------------------------------------------------------
// ABI 1.0 is a strict prefix of the current ABI

// A field 1.0 has sits at the same offset, with the same size, in the current struct.
#define MM_SAME_FIELD(T, field)                                                                                   \
  static_assert(offsetof(v1_0::T, field) == offsetof(::T, field) && sizeof(v1_0::T::field) == sizeof(::T::field), \
                #T "." #field " moved since ABI 1.0")
// A struct 1.1 did not change.
#define MM_SAME_STRUCT(T) \
  static_assert(sizeof(v1_0::T) == sizeof(::T) && alignof(v1_0::T) == alignof(::T), #T " changed since ABI 1.0")

MM_SAME_STRUCT(mm_error);
MM_SAME_STRUCT(mm_eval);
MM_SAME_STRUCT(mm_precision);
MM_SAME_STRUCT(mm_value);
MM_SAME_STRUCT(mm_key_decl);
MM_SAME_STRUCT(mm_layer);
MM_SAME_STRUCT(mm_doc);
MM_SAME_STRUCT(mm_host_api);
MM_SAME_STRUCT(mm_plan);
MM_SAME_STRUCT(mm_negotiation);

// mm_layer_class grew in 1.1 (shapes), at the end and only there.
MM_SAME_FIELD(mm_child, struct_size);
MM_SAME_FIELD(mm_child, name);
MM_SAME_FIELD(mm_child, layer);
MM_SAME_FIELD(mm_child, repeat);
MM_SAME_FIELD(mm_layer_class, struct_size);
MM_SAME_FIELD(mm_layer_class, abi_version);
MM_SAME_FIELD(mm_layer_class, name);
MM_SAME_FIELD(mm_layer_class, category);
MM_SAME_FIELD(mm_layer_class, doc);
MM_SAME_FIELD(mm_layer_class, metrics);
MM_SAME_FIELD(mm_layer_class, child_count);
MM_SAME_FIELD(mm_layer_class, child);
MM_SAME_FIELD(mm_layer_class, destroy);
static_assert(sizeof(v1_0::mm_layer_class) < sizeof(::mm_layer_class));
static_assert(sizeof(v1_0::mm_layer_class) == offsetof(::mm_layer_class, shapes),
              "the 1.1 fields of mm_layer_class start right where the 1.0 struct ends");
static_assert(offsetof(v1_0::mm_layer_class, destroy) + sizeof(void (*)()) == sizeof(v1_0::mm_layer_class));
#if MM_LAYOUT_FROZEN
static_assert(sizeof(v1_0::mm_layer_class) == 64);
#endif

// The other structs: every field at the same place.
MM_SAME_FIELD(mm_plugin_info, struct_size);
MM_SAME_FIELD(mm_plugin_info, abi_version);
MM_SAME_FIELD(mm_plugin_info, kind);
MM_SAME_FIELD(mm_plugin_info, name);
MM_SAME_FIELD(mm_plugin_info, classes);
MM_SAME_FIELD(mm_plugin_info, keys);
MM_SAME_FIELD(mm_plugin_info, plan);
MM_SAME_FIELD(mm_plugin_info, build_stage);
MM_SAME_FIELD(mm_plugin_info, format);
MM_SAME_FIELD(mm_plugin_info, write);
MM_SAME_FIELD(mm_negotiation, host_abi_version);
MM_SAME_FIELD(mm_negotiation, host_abi_min_version);
MM_SAME_FIELD(mm_negotiation, host);
MM_SAME_FIELD(mm_negotiation, plugin_abi_version);
MM_SAME_FIELD(mm_negotiation, info);
MM_SAME_FIELD(mm_stage_context, precision);
MM_SAME_FIELD(mm_stage_context, steps);
static_assert(sizeof(v1_0::mm_stage_context) == offsetof(::mm_stage_context, parallel),
              "the 1.3 fields of mm_stage_context start right where the 1.0 struct ends");
static_assert(sizeof(v1_0::mm_op_spec) == offsetof(::mm_op_spec, ranks),
              "the 1.3 fields of mm_op_spec start right where the 1.0 struct ends");
static_assert(sizeof(v1_0::mm_plugin_info) == offsetof(::mm_plugin_info, parallel),
              "the 1.3 fields of mm_plugin_info start right where the 1.0 struct ends");
MM_SAME_FIELD(mm_op_spec, kv_shared);
MM_SAME_FIELD(mm_plugin_info, description);
MM_SAME_FIELD(mm_stage_context, attention);
MM_SAME_FIELD(mm_host_api, config_get);
MM_SAME_FIELD(mm_host_api, create_op);
MM_SAME_FIELD(mm_host_api, emit_file);
MM_SAME_FIELD(mm_plan, model_name);
MM_SAME_FIELD(mm_plan, idle_parameters);
MM_SAME_FIELD(mm_op_spec, quick_gelu);
MM_SAME_FIELD(mm_doc, items);

// ------------------------------------------------------------------------------------------------------
// Runtime checks (the static_asserts above already hold if this file compiles; these make the facts
// visible in the test report and exercise the documented reading rule)

namespace {

v1_0::mm_status old_metrics(const v1_0::mm_layer*, const v1_0::mm_eval*, double*, uint32_t, uint32_t*,
                            v1_0::mm_error*) {
  return 0;
}
v1_0::mm_status old_child_count(const v1_0::mm_layer*, uint32_t* out, v1_0::mm_error*) {
  *out = 0;
  return 0;
}
v1_0::mm_status old_child(const v1_0::mm_layer*, uint32_t, v1_0::mm_child*, v1_0::mm_error*) {
  return 6;
}
void old_destroy(v1_0::mm_layer*) {}

// What a host does with a class table of any version: copy min(struct_size, sizeof) into a zeroed struct.
template <class Old>
::mm_layer_class read_class_table(const Old& table) {
  ::mm_layer_class c{};
  std::memcpy(&c, &table, std::min<std::size_t>(table.struct_size, sizeof c));
  return c;
}

}  // namespace

TEST_CASE("the ABI structs have their frozen LP64 layout") {
#if MM_LAYOUT_FROZEN
  CHECK(sizeof(mm_error) == 1028);
  CHECK(sizeof(mm_eval) == 24);
  CHECK(sizeof(mm_precision) == 40);
  CHECK(sizeof(mm_stage_context) == 80);  // 1.3 appended `parallel` and `task`
  CHECK(sizeof(v1_0::mm_stage_context) == 64);
  CHECK(offsetof(mm_stage_context, parallel) == sizeof(v1_0::mm_stage_context));
  CHECK(sizeof(mm_parallel) == 24);
  CHECK(sizeof(mm_value) == 48);
  CHECK(sizeof(mm_key_decl) == 72);
  CHECK(sizeof(mm_layer) == 8);
  CHECK(sizeof(mm_child) == 48);        // 1.2 appended `fusion`
  CHECK(sizeof(v1_0::mm_child) == 32);  // 1.1 appended `component`
  CHECK(offsetof(mm_child, component) == sizeof(v1_0::mm_child));
  CHECK(sizeof(mm_layer_class) == 72);
  CHECK(sizeof(mm_op_spec) == 224);  // 1.3 appended `ranks` and `comm_group`
  CHECK(offsetof(mm_op_spec, ranks) == sizeof(v1_0::mm_op_spec));
  CHECK(sizeof(mm_doc) == 56);
  CHECK(sizeof(mm_host_api) == 40);
  CHECK(sizeof(mm_plan) == 56);
  CHECK(sizeof(mm_plugin_info) == 112);  // 1.3 appended `parallel` and `tasks`
  CHECK(offsetof(mm_plugin_info, parallel) == sizeof(v1_0::mm_plugin_info));
  CHECK(sizeof(mm_negotiation) == 40);
  CHECK(offsetof(mm_layer_class, shapes) == 64);
#else
  MESSAGE("not an LP64 target: the frozen literal layout is only asserted on LP64");
#endif
}

TEST_CASE("the ABI 1.0 layer class table is a strict prefix of the current one") {
  CHECK(sizeof(v1_0::mm_layer_class) < sizeof(::mm_layer_class));
  CHECK(sizeof(v1_0::mm_layer_class) == offsetof(::mm_layer_class, shapes));
  CHECK(offsetof(v1_0::mm_layer_class, metrics) == offsetof(::mm_layer_class, metrics));
  CHECK(offsetof(v1_0::mm_layer_class, destroy) == offsetof(::mm_layer_class, destroy));

  // A 1.0 table placed right before unrelated bytes: a 1.1 reader must take only struct_size bytes, so the
  // bytes after it never show up as a `shapes` function.
  struct {
    v1_0::mm_layer_class table;
    unsigned char after[sizeof(::mm_layer_class)];
  } memory;
  std::memset(&memory, 0xA5, sizeof memory);
  memory.table = v1_0::mm_layer_class{static_cast<uint32_t>(sizeof(v1_0::mm_layer_class)),
                                      v1_0::kVersion,
                                      "OldLeaf",
                                      v1_0::MM_CATEGORY_MATMUL,
                                      "doc",
                                      &old_metrics,
                                      &old_child_count,
                                      &old_child,
                                      &old_destroy};
  const ::mm_layer_class c = read_class_table(memory.table);
  CHECK(c.struct_size == sizeof(v1_0::mm_layer_class));
  CHECK(c.abi_version == MM_ABI_MAKE_VERSION(1, 0));
  CHECK(std::string_view(c.name) == "OldLeaf");
  CHECK(c.category == MM_CATEGORY_MATMUL);
  CHECK(std::string_view(c.doc) == "doc");
  CHECK(std::memcmp(&c.metrics, &memory.table.metrics, sizeof c.metrics) == 0);
  CHECK(std::memcmp(&c.child_count, &memory.table.child_count, sizeof c.child_count) == 0);
  CHECK(std::memcmp(&c.child, &memory.table.child, sizeof c.child) == 0);
  CHECK(std::memcmp(&c.destroy, &memory.table.destroy, sizeof c.destroy) == 0);
  const bool shapes_absent = c.shapes == nullptr;  // "not provided"
  CHECK(shapes_absent);
}

TEST_CASE("metric IDs and enum values are append-only") {
  CHECK(MM_METRIC_COUNT_1_0 == v1_0::MM_METRIC_COUNT);
  CHECK(MM_METRIC_LIVE_BYTES == v1_0::MM_METRIC_COUNT);     // the first 1.1 metric takes the next free ID
  CHECK(MM_METRIC_COMM_BYTES == MM_METRIC_LIVE_BYTES + 1);  // 1.3's metric takes the next free ID
  CHECK(MM_METRIC_COUNT == MM_METRIC_COMM_BYTES + 1);
  CHECK(static_cast<long long>(MM_STAGE_FORWARD) == static_cast<long long>(v1_0::MM_STAGE_COUNT));
  CHECK(static_cast<long long>(MM_CATEGORY_COMMUNICATION) == static_cast<long long>(v1_0::MM_CATEGORY_COUNT));
  CHECK(static_cast<long long>(MM_OP_ALL_REDUCE) == static_cast<long long>(v1_0::MM_OP_COUNT));
  CHECK(MM_ABI_VERSION > v1_0::kVersion);
  CHECK(MM_ABI_MAJOR_OF(MM_ABI_VERSION) == MM_ABI_MAJOR_OF(v1_0::kVersion));
  CHECK(MM_ABI_MIN_SUPPORTED <= v1_0::kVersion);  // this host still loads 1.0 plugins
}

namespace {
std::string read_text(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(f != nullptr, "cannot open " << path);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
  std::fclose(f);
  return text;
}
}  // namespace

TEST_CASE("the SDK holds a frozen header for every ABI version the host loads, the newest equal to abi.h") {
  const std::string dir = std::string(MM_TEST_SDK_INCLUDE_DIR) + "/modelmeter/";
  const std::string current = read_text(dir + "abi.h");
  REQUIRE(MM_ABI_MAJOR_OF(MM_ABI_MIN_SUPPORTED) == MM_ABI_VERSION_MAJOR);
  for (uint32_t minor = MM_ABI_MINOR_OF(MM_ABI_MIN_SUPPORTED); minor <= MM_ABI_VERSION_MINOR; ++minor) {
    const std::string version = std::to_string(MM_ABI_VERSION_MAJOR) + "_" + std::to_string(minor);
    const std::string dotted = std::to_string(MM_ABI_VERSION_MAJOR) + "." + std::to_string(minor);
    CAPTURE(version);
    const std::string frozen = read_text(dir + "abi_v" + version + ".h");
    // It says what it is, has its own include guard and defines its own version.
    CHECK(frozen.rfind("/* FROZEN COPY of modelmeter/abi.h as released at ABI " + dotted + ". Never edit", 0) == 0);
    CHECK(frozen.find("#ifndef MODELMETER_ABI_V" + version + "_H\n#define MODELMETER_ABI_V" + version + "_H\n") !=
          std::string::npos);
    CHECK(frozen.find("#define MM_ABI_VERSION_MINOR " + std::to_string(minor) + "\n") != std::string::npos);
    if (minor == MM_ABI_VERSION_MINOR) {
      // The current version's copy is abi.h itself, but for the first comment line and the guard's name.
      std::string same = frozen.substr(frozen.find('\n') + 1);  // after the FROZEN COPY line
      REQUIRE(same.rfind(" *\n", 0) == 0);
      same = "/*\n" + same.substr(3);
      for (std::size_t p; (p = same.find("MODELMETER_ABI_V" + version + "_H")) != std::string::npos;) {
        same.replace(p, std::string("MODELMETER_ABI_V" + version + "_H").size(), "MODELMETER_ABI_H");
      }
      CHECK_MESSAGE(same == current, "abi_v" << version << ".h differs from abi.h: re-freeze it (only while " << dotted
                                             << " is unreleased) or bump MM_ABI_VERSION_MINOR");
    }
  }
}
