/* modelmeter/abi.h is C99: this file is compiled with -std=c99 -Wall -Wextra -Wpedantic -Werror.
 * It also checks that a C compiler lays the structs out exactly as the C++ layout test freezes them (LP64),
 * and that the header can be used the way a raw C plugin uses it. */
#include <modelmeter/abi.h>

#include <stddef.h>
#include <string.h>

/* C99 has no static_assert: a negative array size fails the build. */
#define MM_C_ASSERT(name, cond) typedef char mm_c_assert_##name[(cond) ? 1 : -1]

#if defined(__LP64__) || defined(_LP64)
MM_C_ASSERT(error_size, sizeof(mm_error) == 1028);
MM_C_ASSERT(eval_size, sizeof(mm_eval) == 24);
MM_C_ASSERT(precision_size, sizeof(mm_precision) == 40);
MM_C_ASSERT(stage_context_size, sizeof(mm_stage_context) == 80);
MM_C_ASSERT(stage_context_parallel, offsetof(mm_stage_context, parallel) == 64);
MM_C_ASSERT(stage_context_task, offsetof(mm_stage_context, task) == 72);
MM_C_ASSERT(parallel_size, sizeof(mm_parallel) == 24);
MM_C_ASSERT(stage_context_attention, offsetof(mm_stage_context, attention) == 56);
MM_C_ASSERT(value_size, sizeof(mm_value) == 48);
MM_C_ASSERT(key_decl_size, sizeof(mm_key_decl) == 72);
MM_C_ASSERT(layer_size, sizeof(mm_layer) == 8);
MM_C_ASSERT(child_size, sizeof(mm_child) == 48);
MM_C_ASSERT(child_fusion, offsetof(mm_child, fusion) == 40);
MM_C_ASSERT(layer_class_size, sizeof(mm_layer_class) == 72);
MM_C_ASSERT(layer_class_destroy, offsetof(mm_layer_class, destroy) == 56);
MM_C_ASSERT(layer_class_shapes, offsetof(mm_layer_class, shapes) == 64);
MM_C_ASSERT(op_spec_size, sizeof(mm_op_spec) == 224);
MM_C_ASSERT(op_spec_ranks, offsetof(mm_op_spec, ranks) == 208);
MM_C_ASSERT(op_spec_comm_group, offsetof(mm_op_spec, comm_group) == 216);
MM_C_ASSERT(op_spec_kv_shared, offsetof(mm_op_spec, kv_shared) == 200);
MM_C_ASSERT(op_spec_quick_gelu, offsetof(mm_op_spec, quick_gelu) == 192);
MM_C_ASSERT(doc_size, sizeof(mm_doc) == 56);
MM_C_ASSERT(host_api_size, sizeof(mm_host_api) == 40);
MM_C_ASSERT(plan_size, sizeof(mm_plan) == 56);
MM_C_ASSERT(plan_model_name, offsetof(mm_plan, model_name) == 40);
MM_C_ASSERT(plugin_info_size, sizeof(mm_plugin_info) == 112);
MM_C_ASSERT(plugin_info_parallel, offsetof(mm_plugin_info, parallel) == 104);
MM_C_ASSERT(plugin_info_tasks, offsetof(mm_plugin_info, tasks) == 108);
MM_C_ASSERT(plugin_info_write, offsetof(mm_plugin_info, write) == 96);
MM_C_ASSERT(negotiation_size, sizeof(mm_negotiation) == 40);
MM_C_ASSERT(negotiation_info, offsetof(mm_negotiation, info) == 32);
#endif

MM_C_ASSERT(version, MM_ABI_VERSION == 0x00010003u);
MM_C_ASSERT(metric_count, MM_METRIC_COUNT == 9 && MM_METRIC_COUNT_1_0 == 7 && MM_METRIC_LIVE_BYTES == 7 &&
                               MM_METRIC_COMM_BYTES == 8);
MM_C_ASSERT(task_bits, MM_TASK_BIT(MM_TASK_TRAIN) == 4u);

/* The reading rule of the header, in C: a table from an older plugin is copied into a zeroed struct. */
mm_layer_class mm_c99_check_read_class(const mm_layer_class* table);
mm_layer_class mm_c99_check_read_class(const mm_layer_class* table) {
  mm_layer_class c;
  size_t n = table->struct_size < sizeof c ? table->struct_size : sizeof c;
  memset(&c, 0, sizeof c);
  memcpy(&c, table, n);
  return c;
}

/* Static tables and the entry function type, as a C plugin writes them. */
static mm_status check_entry(mm_negotiation* n, mm_error* err) {
  (void)err;
  n->plugin_abi_version = MM_ABI_VERSION;
  n->info = NULL;
  return MM_ERR_VERSION;
}

mm_plugin_entry_fn mm_c99_check_entry(void);
mm_plugin_entry_fn mm_c99_check_entry(void) {
  static const mm_key_decl key = {sizeof(mm_key_decl), "c99.key", MM_VALUE_INT, "1", 0, 10, NULL, 0, 0, "help"};
  static const mm_eval eval = {sizeof(mm_eval), MM_PASS_FORWARD, 0, 1};
  (void)key;
  (void)eval;
  return check_entry;
}
