/*
 * ModelMeter plugin ABI — the C boundary between the host (and its core library) and plugins.
 *
 * C99, depends only on <stdint.h> and <stddef.h>. Everything that crosses a shared-library boundary is
 * declared here: plain structs, fixed-width integers, double, const char*, function pointers and opaque
 * handles. No C++ type, exception, RTTI or vtable ever crosses it.
 *
 * VERSIONING
 *   MM_ABI_VERSION is (major << 16) | minor. The host speaks MM_ABI_VERSION and accepts plugins from
 *   MM_ABI_MIN_SUPPORTED up to its own version; a plugin built for a newer minor or another major is refused
 *   before any of its functions other than the entry is called. Within a major version:
 *     - structs only grow at the end; every struct that can grow starts with `struct_size`, and a reader copies
 *       min(struct_size, sizeof(its own struct)) into a zeroed struct, so a field a writer predates reads as
 *       zero / NULL = "not provided";
 *     - metric IDs (mm_metric_id) and enum values are append-only;
 *     - lists cross as arrays of pointers, never arrays of structs (a struct's stride changes when it grows).
 *   History:
 *     1.0  initial table.
 *     1.1  adds MM_METRIC_LIVE_BYTES, mm_layer_class.shapes and mm_child.component.
 *     1.2  adds mm_child.fusion (kernel fusion groups for calibrated time).
 *     1.3  adds tasks beyond generation (mm_task, MM_STAGE_FORWARD, mm_stage_context.task,
 *          mm_plugin_info.tasks) and parallelism (mm_parallel, mm_stage_context.parallel,
 *          mm_plugin_info.parallel, MM_METRIC_COMM_BYTES, MM_CATEGORY_COMMUNICATION, the collective ops
 *          MM_OP_ALL_REDUCE .. MM_OP_SEND_RECV with mm_op_spec.ranks and mm_op_spec.comm_group).
 *   Each version the host loads is also installed frozen, as modelmeter/abi_v<major>_<minor>.h (abi_v1_0.h ..
 *   abi_v1_3.h): build against one of those to make a plugin for an older host. A new minor adds its copy.
 *
 * ENTRY
 *   A plugin exports exactly one symbol, MM_PLUGIN_ENTRY_SYMBOL ("modelmeter_plugin_entry"), of type
 *   mm_plugin_entry_fn. The host fills an mm_negotiation with the versions it speaks and its services table;
 *   the plugin writes the ABI version it was built for and, if it accepts the host, its mm_plugin_info.
 *   Both sides check: the plugin refuses a host older than it needs, the host refuses a plugin outside
 *   [MM_ABI_MIN_SUPPORTED, MM_ABI_VERSION]. The entry function must do no work beyond filling the answer.
 *
 * OWNERSHIP
 *   - mm_plugin_info, its class and key tables and every string in them: owned by the plugin, static, valid
 *     while the library is loaded. The host never unloads a plugin during a run.
 *   - mm_layer objects: created by a plugin's build_stage or by the host's create_op; destroyed exactly once
 *     through the `destroy` function of their own class table (whoever's code made it frees it). A composite
 *     layer owns its children and destroys them when it is destroyed; the host destroys only stage roots.
 *   - mm_error: caller-owned; the callee writes a NUL-terminated message into it on failure.
 *   - mm_config values, mm_stage_context, mm_doc trees: owned by the host, valid for the duration of the call
 *     they are passed to (a layer copies what it needs at creation).
 *   - Memory never changes allocator across the boundary: nothing allocated on one side is freed on the other.
 *
 * THREADING
 *   The entry function and build_stage/plan may be called from any thread, one call at a time per plugin.
 *   A layer is immutable after creation: its class functions (metrics, children, shapes) are reentrant and may
 *   be called concurrently from several threads on the same or different layers. Writer `write` functions may
 *   run concurrently for different reports. Host services are thread-safe.
 *
 * ERRORS
 *   Every fallible function returns mm_status and writes a message into the caller's mm_error. A plugin never
 *   lets a C++ exception escape: the SDK's trampolines catch everything and turn it into a status.
 */
#ifndef MODELMETER_ABI_H
#define MODELMETER_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MM_ABI_VERSION_MAJOR 1
#define MM_ABI_VERSION_MINOR 3
#define MM_ABI_MAKE_VERSION(major, minor) ((((uint32_t)(major)) << 16) | ((uint32_t)(minor)))
#define MM_ABI_VERSION MM_ABI_MAKE_VERSION(MM_ABI_VERSION_MAJOR, MM_ABI_VERSION_MINOR)
/* The oldest plugin ABI this host still loads. */
#define MM_ABI_MIN_SUPPORTED MM_ABI_MAKE_VERSION(1, 0)
#define MM_ABI_MAJOR_OF(v) ((uint32_t)(v) >> 16)
#define MM_ABI_MINOR_OF(v) ((uint32_t)(v)&0xFFFFu)

#define MM_PLUGIN_ENTRY_SYMBOL "modelmeter_plugin_entry"

#if defined(_WIN32)
#define MM_EXPORT __declspec(dllexport)
#else
#define MM_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------------------------- */
/* Status and errors                                                                                    */

typedef int32_t mm_status;
enum {
  MM_OK = 0,
  MM_ERR_INVALID_ARGUMENT = 1, /* a value given to the function is outside what it accepts */
  MM_ERR_NOT_MODELED = 2,      /* the layer cannot give this metric (never a silent zero) */
  MM_ERR_VERSION = 3,          /* ABI versions are incompatible */
  MM_ERR_INTERNAL = 4,         /* an exception or other failure inside the callee */
  MM_ERR_OUT_OF_MEMORY = 5,
  MM_ERR_NOT_FOUND = 6, /* a config key, child index or stage that does not exist */
  MM_ERR_IO = 7         /* output could not be produced */
};

#define MM_ERROR_MESSAGE_CAPACITY 1024
/* Caller-owned. The callee writes a NUL-terminated, one-line message on failure. */
typedef struct mm_error {
  mm_status code;
  char message[MM_ERROR_MESSAGE_CAPACITY];
} mm_error;

/* ---------------------------------------------------------------------------------------------------- */
/* Metrics                                                                                              */

/* Append-only metric IDs. A layer fills an array indexed by these IDs (see mm_layer_class.metrics).
 * "Flow" metrics are summed over a range of decode steps; "state" metrics are the maximum over the range
 * (for the growing decode context: the value at its last step). */
typedef uint32_t mm_metric_id;
enum {
  MM_METRIC_TC_FLOPS = 0,         /* flow:  Tensor-Core FLOPs (matmul, conv, attention scores/context)  */
  MM_METRIC_CUDA_FLOPS = 1,       /* flow:  CUDA-core FLOPs (elementwise, norms, softmax, activations)    */
  MM_METRIC_IO_BYTES = 2,         /* flow:  DRAM traffic in bytes                                          */
  MM_METRIC_WEIGHT_BYTES = 3,     /* state: weight memory (backward: weight-gradient memory)              */
  MM_METRIC_PARAMETERS = 4,       /* state: parameter count (backward: trainable parameters)              */
  MM_METRIC_ACTIVATION_BYTES = 5, /* state: activations the op writes (backward: activation gradients)   */
  MM_METRIC_KV_CACHE_BYTES = 6,   /* state: KV-cache bytes held once the op has run                       */
  MM_METRIC_COUNT_1_0 = 7,
  MM_METRIC_LIVE_BYTES = 7, /* state: (1.1) inputs + outputs + workspace live while the op runs      */
  MM_METRIC_COUNT_1_1 = 8,
  /* flow:  (1.3) bytes this GPU sends over the interconnect (collectives, pipeline sends; in the symmetric
   *        collectives it receives as many at the same time, over the other direction of its link);
   *        0 for every op that does not communicate. Older plugins' layers report it as unknown (null). */
  MM_METRIC_COMM_BYTES = 8,
  MM_METRIC_COUNT_1_3 = 9,
  MM_METRIC_COUNT = MM_METRIC_COUNT_1_3
};

typedef int32_t mm_pass;
enum { MM_PASS_FORWARD = 0, MM_PASS_BACKWARD = 1 };

/* Which evaluation a metrics call asks for: `step_count` consecutive steps starting at `first_step`.
 * Vision and prefill stages have exactly one step (0). In the decode stage step s sees a context of
 * mm_stage_context.kv_len + s positions. */
typedef struct mm_eval {
  uint32_t struct_size;
  mm_pass pass;
  uint64_t first_step;
  uint64_t step_count;
} mm_eval;

/* ---------------------------------------------------------------------------------------------------- */
/* Operator categories (append-only)                                                                    */

typedef int32_t mm_category;
enum {
  MM_CATEGORY_COMPOSITE = 0,
  MM_CATEGORY_MATMUL = 1,
  MM_CATEGORY_CONV = 2,
  MM_CATEGORY_ATTENTION = 3,
  MM_CATEGORY_NORM = 4,
  MM_CATEGORY_ACTIVATION = 5,
  MM_CATEGORY_ELEMENTWISE = 6,
  MM_CATEGORY_EMBEDDING = 7,
  MM_CATEGORY_MOE_ROUTING = 8,
  MM_CATEGORY_POSITIONAL = 9, /* RoPE, relative-position terms, position embeddings */
  MM_CATEGORY_DATA_MOVEMENT = 10, /* reshape/pad/concat that moves bytes */
  MM_CATEGORY_COUNT_1_0 = 11,
  MM_CATEGORY_COMMUNICATION = 11, /* (1.3) collectives and point-to-point transfers between GPUs */
  MM_CATEGORY_COUNT = 12
};

/* ---------------------------------------------------------------------------------------------------- */
/* Stages, precision and the stage context                                                              */

typedef int32_t mm_stage;
enum {
  MM_STAGE_VISION = 0,
  MM_STAGE_PREFILL = 1,
  MM_STAGE_DECODE = 2,
  MM_STAGE_COUNT_1_0 = 3,
  /* (1.3) one pass over a batch of samples (an encoder, a classifier, the forward half of a training step):
   * query_tokens = kv_len = tokens per sample, steps = 1, no KV cache is kept. */
  MM_STAGE_FORWARD = 3,
  MM_STAGE_COUNT = 4
};

/* (1.3) What the workload asks for. A plugin lists the tasks it supports in mm_plugin_info.tasks as
 * MM_TASK_BIT(task); 0 there (every plugin before 1.3) means generation only.
 *   GENERATE: vision (if any) -> prefill -> decode, the stages above;
 *   FORWARD:  one MM_STAGE_FORWARD stage, forward pass only;
 *   TRAIN:    one MM_STAGE_FORWARD stage evaluated for MM_PASS_FORWARD and MM_PASS_BACKWARD, plus the
 *             optimizer step the host models. */
typedef int32_t mm_task;
enum { MM_TASK_GENERATE = 0, MM_TASK_FORWARD = 1, MM_TASK_TRAIN = 2, MM_TASK_COUNT = 3 };
#define MM_TASK_BIT(task) (1u << (uint32_t)(task))

/* (1.3) How the model is split over GPUs (Megatron/vLLM conventions, docs/parallelism.md): tensor parallel
 * tp, pipeline parallel pp, expert parallel ep (over tp x dp ranks), data parallel dp. pp_rank is the
 * pipeline stage a build_stage call builds (0 .. pp-1). Host-owned, valid during the call it is passed to. */
typedef struct mm_parallel {
  uint32_t struct_size;
  uint32_t tp;
  uint32_t pp;
  uint32_t ep;
  uint32_t dp;
  uint32_t pp_rank;
} mm_parallel;

/* (1.3) Bits of mm_plugin_info.parallel: the sharding a plugin's layers implement. A workload asking for a
 * degree > 1 of a kind the plugin does not set is refused before any layer is built (dp needs no bit: it
 * replicates the whole model). */
#define MM_PARALLEL_TP 1u
#define MM_PARALLEL_PP 2u
#define MM_PARALLEL_EP 4u

typedef int32_t mm_dtype;
enum { MM_DTYPE_FP32 = 0, MM_DTYPE_BF16 = 1, MM_DTYPE_FP16 = 2, MM_DTYPE_FP8 = 3, MM_DTYPE_INT8 = 4, MM_DTYPE_INT4 = 5 };

typedef int32_t mm_attention_impl;
enum { MM_ATTENTION_EAGER = 0, MM_ATTENTION_FLASH = 1 };

/* Bytes per element of each tensor class, resolved by the host from the workload's precision keys
 * (int4 includes its group-scale overhead, see docs/metrics.md). */
typedef struct mm_precision {
  uint32_t struct_size;
  mm_dtype weights;
  mm_dtype activations;
  mm_dtype kv_cache;
  double weight_bytes;
  double activation_bytes;
  double kv_cache_bytes;
} mm_precision;

typedef struct mm_config mm_config; /* opaque: the resolved, validated workload (host-owned) */

/* What a stage's layers are created for. Host-owned, valid during build_stage / create_op. */
typedef struct mm_stage_context {
  uint32_t struct_size;
  mm_stage stage;
  const mm_config* config;     /* every declared key, resolved (defaults, model file, workload, --set) */
  const mm_precision* precision;
  uint64_t batch;              /* sequences (or images) processed together */
  uint64_t query_tokens;       /* new tokens per sequence in one step (prefill: P; decode: 1) */
  uint64_t kv_len;             /* context length seen by step 0, new tokens included (prefill: P; decode: P+1) */
  uint64_t steps;              /* steps in this stage (vision/prefill: 1; decode: N-1) */
  mm_attention_impl attention; /* the workload's attention.impl */
  /* 1.3: the layout this stage is built for; NULL (older hosts) = no parallelism, every degree 1. */
  const mm_parallel* parallel;
  /* 1.3: the task this stage is part of (MM_TASK_GENERATE from older hosts, which write zero). */
  mm_task task;
} mm_stage_context;

/* ---------------------------------------------------------------------------------------------------- */
/* Configuration values                                                                                 */

typedef int32_t mm_value_type;
enum {
  MM_VALUE_NONE = 0, /* key declared without default and not set */
  MM_VALUE_BOOL = 1,
  MM_VALUE_INT = 2,
  MM_VALUE_FLOAT = 3,
  MM_VALUE_STRING = 4,
  MM_VALUE_INT_ARRAY = 5
};

/* A resolved value; pointers are host-owned and valid while the config is. */
typedef struct mm_value {
  mm_value_type type;
  int32_t boolean;
  int64_t integer;
  double number; /* also set for MM_VALUE_INT */
  const char* string;
  const int64_t* ints;
  size_t count;
} mm_value;

/* A workload key a plugin accepts. Core validates every key against these before any layer exists. */
typedef struct mm_key_decl {
  uint32_t struct_size;
  const char* key;           /* "section.name", e.g. "vision.mode", "model.hidden_size" */
  mm_value_type type;
  const char* default_value; /* a TOML literal ("bf16" quoted, 1280, [2,3]); NULL = no default */
  double min;                /* numbers and array elements: inclusive bounds (ignored when min > max) */
  double max;
  const char* allowed;       /* strings: '|'-separated allowed values; NULL = any */
  uint32_t min_count;        /* arrays: allowed element count */
  uint32_t max_count;
  const char* help;          /* one line */
} mm_key_decl;

/* ---------------------------------------------------------------------------------------------------- */
/* Layers                                                                                               */

typedef struct mm_layer_class mm_layer_class;

/* A layer handle. Every layer, whoever made it, starts with a pointer to its class table. */
typedef struct mm_layer {
  const mm_layer_class* cls;
} mm_layer;

/* One declared child: a name (a path segment such as "blocks.3" or "mlp"), the layer, and how many times
 * it repeats with identical shapes. The child stays owned by its parent. The caller sets struct_size to its
 * own sizeof; the callee writes at most that many bytes and sets struct_size to what it wrote. */
typedef struct mm_child {
  uint32_t struct_size;
  const char* name;
  const mm_layer* layer;
  double repeat;
  /* 1.1: the report component this child's subtree belongs to ("SAM encoder", "decoder attention"); NULL =
   * its parent's. Reports total each stage per component. Valid while the parent lives. */
  const char* component;
  /* 1.2: the fusion group this child belongs to: siblings with the same non-NULL key run as ONE kernel (q/k/v
   * projections as one GEMM, SiLU and the product as one element-wise kernel), so calibrated time counts its
   * launch latency and small-size costs once (docs/calibration.md). NULL = its own kernel. Valid while the
   * parent lives. */
  const char* fusion;
} mm_child;

/* The per-class function table. Static, owned by the library that defines the class. */
struct mm_layer_class {
  uint32_t struct_size;
  uint32_t abi_version;  /* the ABI the defining library was built for */
  const char* name;      /* registered class name, e.g. "Linear", "DeepseekV2MoE" */
  mm_category category;
  const char* doc;       /* Markdown: what it is, every formula with symbols defined, assumptions */
  /* The layer's OWN metrics (everything for a leaf; only its glue ops for a composite — the host adds the
   * children times their repeat). Fills out[0 .. min(capacity, metrics this class knows)) indexed by
   * mm_metric_id and stores that count in *filled. */
  mm_status (*metrics)(const mm_layer* self, const mm_eval* eval, double* out, uint32_t capacity,
                       uint32_t* filled, mm_error* err);
  mm_status (*child_count)(const mm_layer* self, uint32_t* out, mm_error* err);
  mm_status (*child)(const mm_layer* self, uint32_t index, mm_child* out, mm_error* err);
  void (*destroy)(mm_layer* self); /* frees the layer and its children; never fails */
  /* 1.1: a one-line description of the shapes the layer was created with. */
  mm_status (*shapes)(const mm_layer* self, char* buffer, size_t capacity, mm_error* err);
};

/* ---------------------------------------------------------------------------------------------------- */
/* Core's generic operators, created through the host services table                                    */

typedef int32_t mm_op_kind;
enum {
  MM_OP_LINEAR = 0,     /* y = x·Wᵀ (+ b); groups > 1: grouped GEMM (MoE experts) */
  MM_OP_CONV2D = 1,     /* NCHW direct convolution, square stride/padding */
  MM_OP_LAYERNORM = 2,  /* over the last `features` */
  MM_OP_RMSNORM = 3,
  MM_OP_GELU = 4,       /* exact (erf) GELU; quick_gelu = 1 for x·sigmoid(1.702x) */
  MM_OP_SILU = 5,
  MM_OP_EMBEDDING = 6,  /* table lookup: vocab × features */
  MM_OP_ADD = 7,        /* elementwise sum of two tensors */
  MM_OP_MUL = 8,        /* elementwise product of two tensors */
  MM_OP_SOFTMAX = 9,    /* over the last `features` */
  MM_OP_ATTENTION = 10, /* scores QKᵀ, softmax, context P·V (projections are separate Linear ops) */
  MM_OP_COUNT_1_0 = 11,
  /* 1.3: collectives over `ranks` GPUs of `comm_group`, on a buffer of tokens × features activation elements
   * per GPU (cost models in docs/parallelism.md). */
  MM_OP_ALL_REDUCE = 11,
  MM_OP_ALL_GATHER = 12,     /* the buffer is each GPU's gathered output */
  MM_OP_REDUCE_SCATTER = 13, /* the buffer is each GPU's input */
  MM_OP_ALL_TO_ALL = 14,     /* the buffer is each GPU's input (MoE dispatch and combine) */
  MM_OP_SEND_RECV = 15,      /* point-to-point: the buffer is sent by one GPU and received by the next */
  MM_OP_COUNT = 16
};

/* 1.3: which group of GPUs a collective runs over. */
typedef int32_t mm_comm_group;
enum { MM_COMM_GROUP_TP = 0, MM_COMM_GROUP_EP = 1, MM_COMM_GROUP_PP = 2, MM_COMM_GROUP_DP = 3 };

/* Flat description of a generic op; each kind reads the fields its comment names and ignores the others. */
typedef struct mm_op_spec {
  uint32_t struct_size;
  mm_op_kind kind;
  double tokens;            /* all kinds but CONV2D and ATTENTION: rows (batch × positions); may be fractional */
  uint64_t in_features;     /* LINEAR, CONV2D (in channels) */
  uint64_t out_features;    /* LINEAR, CONV2D (out channels) */
  uint64_t features;        /* norms, activations, ADD/MUL, SOFTMAX, EMBEDDING (embedding dim) */
  int32_t bias;             /* LINEAR, CONV2D, LAYERNORM (affine bias): 1 = has bias */
  uint64_t groups;          /* LINEAR: independent weight matrices (experts); 0 means 1 */
  double groups_touched;    /* LINEAR: expected distinct groups read in one step; 0 means all groups */
  uint64_t vocab;           /* EMBEDDING */
  uint64_t batch;           /* CONV2D images; ATTENTION sequences */
  uint64_t in_h, in_w;      /* CONV2D input spatial size */
  uint64_t kernel_h, kernel_w, stride, padding; /* CONV2D */
  uint64_t heads;           /* ATTENTION query heads */
  uint64_t kv_heads;        /* ATTENTION key/value heads (GQA/MQA); 0 means heads */
  uint64_t head_dim;        /* ATTENTION query/key head dim */
  uint64_t v_head_dim;      /* ATTENTION value head dim; 0 means head_dim */
  uint64_t query_len;       /* ATTENTION query positions per sequence (decode: 1) */
  uint64_t kv_len;          /* ATTENTION key positions at step 0; grows by one per step if grows_per_step */
  int32_t causal;           /* ATTENTION */
  int32_t grows_per_step;   /* ATTENTION: decode-stage op whose context grows with the step */
  mm_attention_impl impl;   /* ATTENTION */
  int32_t writes_kv_cache;  /* ATTENTION: its K/V are kept in a cache (decoders); reported as KV bytes */
  int32_t quick_gelu;       /* GELU */
  /* Every kind with weights: 1 = the weights belong to another instance of the same module (one encoder run
   * on views of several sizes): parameters and weight bytes are 0 here, weight reads still count. */
  int32_t shared_weights;
  /* ATTENTION: 1 = keys and values are one cached tensor (MLA's latent): V is the first v_head_dim channels
   * of K, so the cache and its reads hold head_dim channels per position instead of head_dim + v_head_dim. */
  int32_t kv_shared;
  /* 1.3, collectives: GPUs taking part (0 means the comm_group's degree from the stage's mm_parallel). */
  uint64_t ranks;
  mm_comm_group comm_group; /* collectives */
} mm_op_spec;

/* ---------------------------------------------------------------------------------------------------- */
/* Reports handed to writer plugins: a read-only document tree (JSON data model)                        */

typedef int32_t mm_doc_type;
enum {
  MM_DOC_NULL = 0,
  MM_DOC_BOOL = 1,
  MM_DOC_INT = 2,
  MM_DOC_NUMBER = 3,
  MM_DOC_STRING = 4,
  MM_DOC_ARRAY = 5,
  MM_DOC_OBJECT = 6
};

/* Host-owned; valid during the write call. Objects keep their keys in a fixed, documented order. */
typedef struct mm_doc {
  mm_doc_type type;
  int32_t boolean;
  int64_t integer;
  double number;
  const char* string;
  size_t size;                      /* members of an array or object */
  const char* const* keys;          /* object: `size` keys */
  const struct mm_doc* const* items; /* array/object: `size` values */
} mm_doc;

typedef struct mm_output mm_output; /* opaque: files a writer produces, committed by the host atomically */

/* ---------------------------------------------------------------------------------------------------- */
/* Host services, handed to the plugin at entry                                                        */

typedef int32_t mm_log_level;
enum { MM_LOG_DEBUG = 0, MM_LOG_INFO = 1, MM_LOG_WARN = 2, MM_LOG_ERROR = 3 };

typedef struct mm_host_api {
  uint32_t struct_size;
  uint32_t abi_version;
  void (*log)(mm_log_level level, const char* message);
  /* Reads a resolved key ("model.hidden_size"); MM_ERR_NOT_FOUND for an undeclared key. */
  mm_status (*config_get)(const mm_config* config, const char* key, mm_value* out, mm_error* err);
  /* Creates one of core's generic ops for the given stage; destroy it with (*out)->cls->destroy. */
  mm_status (*create_op)(const mm_stage_context* ctx, const mm_op_spec* spec, mm_layer** out, mm_error* err);
  /* Writers: adds a file (path relative to the output folder, '/'-separated). The host writes every file
   * atomically once all writers have succeeded; nothing is written if any fails. */
  mm_status (*emit_file)(mm_output* output, const char* relative_path, const char* data, size_t size,
                         mm_error* err);
} mm_host_api;

/* ---------------------------------------------------------------------------------------------------- */
/* Plugins                                                                                              */

typedef int32_t mm_plugin_kind;
enum { MM_PLUGIN_MODEL = 0, MM_PLUGIN_WRITER = 1 };

/* What a model plugin derives from the resolved config before any layer exists. */
typedef struct mm_plan {
  uint32_t struct_size;
  uint64_t vision_tokens;   /* image tokens in the prompt (0 without an image) */
  uint64_t prefill_tokens;  /* P: the whole prompt (vision + text) per sequence */
  uint64_t max_positions;   /* the model's maximum context */
  int32_t has_vision;       /* the vision stage runs */
  mm_attention_impl default_attention; /* used when the workload does not set attention.impl */
  const char* model_name;   /* model actually used (for the summary line); plugin-owned, static */
  /* Parameters of modules that no stage of this workload runs (e.g. the vision encoder with vision off):
   * still part of the model, so counted in summary.parameters and in weight memory. */
  double idle_parameters;
} mm_plan;

typedef struct mm_plugin_info {
  uint32_t struct_size;
  uint32_t abi_version; /* must equal the negotiated plugin_abi_version */
  mm_plugin_kind kind;
  const char* name;     /* registered name, e.g. "deepseek_ocr", "json" */
  const char* version;  /* the plugin's own version */
  const char* description;
  /* Model plugins ---------------------------------------------------------------------------------- */
  size_t class_count;
  const mm_layer_class* const* classes; /* every layer class the plugin defines */
  size_t key_count;
  const mm_key_decl* const* keys;       /* workload keys the plugin accepts (beyond core's) */
  mm_status (*plan)(const mm_config* config, mm_plan* out, mm_error* err);
  /* Builds the root layer of one stage; MM_ERR_NOT_FOUND if the plugin has no such stage. */
  mm_status (*build_stage)(const mm_stage_context* ctx, mm_layer** out_root, mm_error* err);
  /* Writer plugins --------------------------------------------------------------------------------- */
  const char* format; /* --format name, e.g. "json" */
  mm_status (*write)(const mm_doc* report, mm_output* output, mm_error* err);
  /* 1.3, model plugins ------------------------------------------------------------------------------ */
  uint32_t parallel; /* MM_PARALLEL_* bits: the sharding its layers implement (0: none) */
  uint32_t tasks;    /* MM_TASK_BIT(...) set of the tasks it supports (0: generation only) */
} mm_plugin_info;

typedef struct mm_negotiation {
  uint32_t struct_size;
  uint32_t host_abi_version;     /* in: what the host speaks */
  uint32_t host_abi_min_version; /* in: the oldest plugin ABI the host accepts */
  const mm_host_api* host;       /* in: host services, valid while the plugin is loaded */
  uint32_t plugin_abi_version;   /* out: what the plugin was built for (always written) */
  const mm_plugin_info* info;    /* out: NULL when the plugin refuses the host */
} mm_negotiation;

typedef mm_status (*mm_plugin_entry_fn)(mm_negotiation* negotiation, mm_error* err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* MODELMETER_ABI_H */
