// A run: resolve the workload for a model plugin, build each stage's module tree through the ABI, sum the
// metrics the host's way (children × repeat + own glue) and apply the roofline of the chosen hardware.
#pragma once

#include <modelmeter/abi.h>

#include <array>
#include <cstdint>
#include <memory>
#include <modelmeter/core/calibration.hpp>
#include <modelmeter/core/collectives.hpp>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/export.hpp>
#include <modelmeter/core/hardware.hpp>
#include <modelmeter/core/parallel.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/training_options.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace modelmeter::core {

namespace training {
struct Step;  // modelmeter/core/training.hpp
}

// One value per metric ID; nullopt = not provided (a plugin whose ABI predates the metric).
using MetricValues = std::array<std::optional<double>, MM_METRIC_COUNT>;

MM_CORE_API const char* metric_key(mm_metric_id id);   // "tc_flops", …
MM_CORE_API const char* category_name(mm_category c);  // "matmul", …
MM_CORE_API const char* stage_name(mm_stage s);        // "vision", …

struct RooflineTime {
  double time_s = 0;           // Σ over ops of max(compute, memory), plus communication (no overlap)
  double compute_bound_s = 0;  // the part of time_s spent in compute-bound ops
  double comm_s = 0;           // the part of time_s spent in collectives on the interconnect (docs/parallelism.md)

  RooflineTime() = default;
  RooflineTime(double time, double compute_bound, double comm = 0)
      : time_s(time), compute_bound_s(compute_bound), comm_s(comm) {}
};

struct ModuleNode {
  std::string id;    // dotted path from the root, e.g. "model.layers.1.mlp"
  std::string name;  // the path segment the parent declared
  std::string class_name;
  const char* class_doc = nullptr;  // the class's Markdown page (static in its library, which stays loaded)
  mm_category category = MM_CATEGORY_COMPOSITE;
  double repeat = 1;                   // as declared by the parent
  std::string shapes;                  // empty where the class predates the shapes call
  std::string component;               // the report component (declared by an ancestor, else "other")
  MetricValues forward{}, backward{};  // ONE instance, children included, whole stage (all its steps)
  RooflineTime time;                   // one instance, children included (forward); calibrated when one applies
  RooflineTime roofline;               // the pure roofline of the same (equal to `time` without a calibration)
  std::vector<ModuleNode> children;
};

struct CategoryTotals {
  double tc_flops = 0, cuda_flops = 0, io_bytes = 0;
  RooflineTime time;
  RooflineTime roofline;
};

// A stage's totals per report component (own metrics of every node in it, times multiplicity).
struct ComponentTotals {
  std::string name;
  double tc_flops = 0, cuda_flops = 0, io_bytes = 0, weight_bytes = 0, parameters = 0;
  RooflineTime time;
  RooflineTime roofline;
};

struct StepTotals {
  MetricValues forward{};
  RooflineTime time;
  RooflineTime roofline;
};

// Destroys a stage root through its own class table.
struct LayerDeleter {
  void operator()(mm_layer* l) const noexcept {
    if (l != nullptr) l->cls->destroy(l);
  }
};

// A stage's module tree as the plugin built it, flattened once into pre-order (a node's subtree follows it)
// so that every evaluation walks an array instead of asking the plugin for children again.
struct StageTree {
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Node {
    const mm_layer* layer = nullptr;
    mm_layer_class cls{};  // zero-extended to this host's struct
    uint32_t known_metrics = 0;
    uint32_t parent = kNone, first_child = kNone, next_sibling = kNone;
    double repeat = 1;           // as declared by the parent
    double multiplicity = 1;     // product of the repeats from the root down to this node
    const char* name = "model";  // owned by the parent layer, which the tree keeps alive
    uint32_t component = 0;      // index into `components`
    mm_category category = MM_CATEGORY_COMPOSITE;
    const char* fusion = nullptr;  // the kernel fusion group the parent declared (ABI 1.2), owned by the parent
  };
  // How one node's calibrated time is found (docs/calibration.md, "Kernels, not ops"); hardware-independent,
  // filled when the tree is prepared.
  struct Kernel {
    enum class How : uint8_t {
      None,       // no flows of its own (a container)
      Shape,      // a core op of known shape, the same every step: `shape` is its kernel (a fusion group's whole
                  // fused kernel, of which this node carries `share`)
      Metrics,    // known by its metrics only (a plugin's own leaf): the roofline at the kind's fitted
                  // efficiencies plus one launch latency per step
      Attention,  // attention: uncalibrated, the roofline plus the matmul launch latency per step
    };
    How how = How::Metrics;
    KernelShape shape;  // Shape: the kernel; Metrics: only `kind` is used
    double share = 1;
  };
  std::vector<Kernel> kernels;  // per node
  // Per node, the collective a core collective op performs (ranks 0 for every other node); empty when the tree
  // has none, so trees without communication pay nothing for it.
  struct Comm {
    Collective kind = Collective::AllReduce;
    double bytes = 0;   // S: the buffer per GPU, one call
    double ranks = 0;   // g
    int32_t group = 0;  // mm_op_spec.comm_group
  };
  std::vector<Comm> comms;
  // Kernel::How::Shape kernels' times per (hardware, calibration), computed once and shared by every evaluation
  // of this tree (the shapes never change); guarded by kernel_times_mutex (trees are shared between threads).
  struct KernelTimes {
    const Calibration* calibration = nullptr;
    std::string hardware_id;
    std::shared_ptr<const Calibration> keep;  // keeps `calibration` alive while cached
    std::shared_ptr<const std::vector<KernelTime>> times;
  };
  mutable std::mutex kernel_times_mutex;
  mutable std::vector<KernelTimes> kernel_times;
  MM_CORE_API std::shared_ptr<const std::vector<KernelTime>> shape_times(const Hardware& hw) const;
  std::shared_ptr<const Plugin> plugin;           // keeps the library loaded while the layers live
  std::unique_ptr<mm_layer, LayerDeleter> owned;  // the root, when this tree owns it
  std::vector<Node> nodes;                        // nodes[0] is the root
  std::vector<std::string> components;            // in order of first appearance
  // "model.layers.1.mlp"
  MM_CORE_API std::string path(uint32_t index) const;
};

// One node's figures over the evaluated steps, its subtree included (one instance: not times its repeat).
struct NodeValues {
  MetricValues forward{}, backward{};
  RooflineTime time;      // calibrated when the hardware carries a calibration, else the roofline
  RooflineTime roofline;  // always the roofline
};

struct StageResult {
  mm_stage stage = MM_STAGE_PREFILL;
  uint64_t batch = 1, query_tokens = 0, kv_len = 0, steps = 1;
  MetricValues forward{}, backward{};  // the stage totals
  RooflineTime time;                   // calibrated when a calibration applies (Hardware::calibration)
  RooflineTime roofline;               // the pure roofline lower bound
  std::shared_ptr<const StageTree> tree;
  std::vector<NodeValues> nodes;  // per tree node, subtree totals
  std::array<CategoryTotals, MM_CATEGORY_COUNT> categories{};
  std::vector<ComponentTotals> components;          // in order of first appearance in the tree
  std::optional<StepTotals> first_step, last_step;  // decode only
  bool compute_bound() const noexcept { return time.compute_bound_s * 2 >= time.time_s; }
  // The module tree with names, paths and shapes, for reports (built on demand: evaluation needs none of it).
  MM_CORE_API ModuleNode modules() const;
};

struct RunRequest {
  std::shared_ptr<const Plugin> plugin;  // a model plugin
  ResolveInputs inputs;                  // workload, model file, overrides
  Hardware hardware;
};

// A run before any hardware is applied: the resolved configuration, the plugin's plan and every stage's
// module tree, with the own metrics of the one-step stages (vision, prefill), which no hardware or decode
// length changes. Immutable once made and safe to share between threads; sweeps reuse one across hardware
// profiles and decode lengths (the layers' metrics depend only on the steps asked for, see abi.h).
struct PreparedRun {
  std::shared_ptr<const Plugin> plugin;
  ResolvedConfig config;  // attention.impl filled in from the model's default when the workload leaves it unset
  mm_plan plan{};
  std::string model_name;
  mm_precision precision{};
  mm_dtype compute_dtype = MM_DTYPE_BF16;
  uint64_t batch = 1;     // batch.size: generate, per replica; forward and train, the global batch
  ParallelLayout layout;  // parallel.* (all 1 by default)
  // The samples one replica's stage trees run: batch.size, or batch.size / parallel.dp for forward and train
  // (whose global batch is split over the data-parallel replicas; docs/training.md).
  uint64_t replica_batch() const noexcept { return task == MM_TASK_GENERATE ? batch : batch / layout.dp; }
  // With a parallel layout: the whole model's parameters and weight bytes over every GPU, each weight counted
  // once (a build with every parallel.* = 1); nullopt when the layout is trivial or a metric is not provided.
  std::optional<double> model_parameters, model_weight_bytes;
  struct Stage {
    mm_stage stage = MM_STAGE_PREFILL;
    uint64_t query_tokens = 0, kv_len = 0;
    std::shared_ptr<const StageTree> tree;
    std::vector<NodeValues> own;  // one-step stages: each node's own metrics; decode: empty (per range)
  };
  std::vector<Stage> stages;  // in stage order; decode's tree is built whenever the plugin has that stage
  std::vector<std::string> warnings;
  // The workload's task (task.kind; generate when the plugin declares none): generate builds vision, prefill and
  // decode; forward and train build the one forward stage (MM_STAGE_FORWARD) over plan.prefill_tokens per sample.
  mm_task task = MM_TASK_GENERATE;
  training::Options training{};  // train: from the train.* keys
};

struct RunResult {
  std::shared_ptr<const PreparedRun> prepared;
  std::shared_ptr<const Plugin> plugin;
  Hardware hardware;
  mm_plan plan{};
  std::string model_name;
  mm_precision precision{};
  mm_dtype compute_dtype = MM_DTYPE_BF16;
  uint64_t new_tokens = 0;          // N
  std::vector<StageResult> stages;  // in stage order, only those that run
  std::vector<std::string> warnings;
  mm_task task = MM_TASK_GENERATE;
  std::shared_ptr<const training::Step> training;  // task train: the step (docs/training.md)
  training::Options training_options{};

  const ResolvedConfig& config() const noexcept { return prepared->config; }
  MM_CORE_API const StageResult* stage(mm_stage s) const noexcept;
  // Summary figures (spec §7.1); nullopt where an input metric is not provided.
  MM_CORE_API std::optional<double> parameters() const;
  MM_CORE_API std::optional<double> weights_bytes() const;
  MM_CORE_API std::optional<double> kv_cache_bytes() const;
  MM_CORE_API std::optional<double> activations_peak_bytes() const;
  // Pipeline stages (parallel.pp): the stages' figures are the busiest (last) stage's, one GPU's; a prompt or a
  // new token passes all pp stages in turn, so TTFT and TPOT are pp × that stage's time (an upper bound).
  double pipeline_stages() const noexcept { return prepared ? static_cast<double>(prepared->layout.pp) : 1.0; }
  MM_CORE_API double ttft_s() const;                              // vision + prefill time (× pp for the prefill)
  MM_CORE_API std::optional<double> tpot_s() const;               // decode time / decode steps
  MM_CORE_API std::optional<double> decode_tokens_per_s() const;  // batch / tpot
  MM_CORE_API std::optional<double> memory_total_bytes() const;   // weights + KV cache + peak activations
  MM_CORE_API std::optional<bool> fits() const;                   // memory_total_bytes() <= capacity
  // Forward and train: samples per batch, tokens per sample, the forward pass's time and rates, and the memory of
  // the task (forward: weights + peak activations; train: the training step's breakdown).
  MM_CORE_API double samples() const noexcept;
  MM_CORE_API uint64_t tokens_per_sample() const noexcept;
  MM_CORE_API double forward_time_s() const noexcept;
  MM_CORE_API std::optional<double> task_memory_total_bytes() const;
  // "roofline" or "calibrated:<name>" (spec §7.1): what every time_s is.
  MM_CORE_API std::string time_model() const;
};

// Achieved rates used by the roofline (peaks with efficiency applied).
struct RooflineRates {
  double tensor_flops;  // FLOP/s of the compute dtype
  double cuda_flops;    // FLOP/s
  double bandwidth;     // bytes/s
};

// Evaluates one layer tree (not owned) over steps [first_step, first_step + step_count): host-side sums and
// roofline. Used by run_model; exposed for tests. Throws PluginFailure naming `plugin_name`, layer path and call.
MM_CORE_API ModuleNode evaluate_layer(const mm_layer* root, const std::string& plugin_name, const RooflineRates& rates,
                                      uint64_t first_step, uint64_t step_count, std::vector<std::string>* warnings);

// A layer tree (not owned) flattened as run_model flattens a stage, with each node's own metrics for one step,
// forward and backward (what the training model reads; PreparedRun::Stage holds the same for its stages).
struct FlatLayer {
  std::shared_ptr<const StageTree> tree;
  std::vector<NodeValues> own;
};
MM_CORE_API FlatLayer flatten_layer(const mm_layer* root, const std::string& plugin_name);

// The catalogue of keys a model plugin accepts (core's and its own).
MM_CORE_API const KeyCatalog& catalog_for(const Plugin& plugin);  // built once per plugin

// Runs the whole evaluation. Throws InputError (workload rejected, context too long, hardware lacks the
// compute dtype) or PluginFailure (the plugin failed or returned NaN / a negative metric: names plugin,
// layer path and metric).
MM_CORE_API RunResult run_model(const RunRequest& request);

// The steps of run_model: plan and build (throws InputError for a plan the plugin rejects, PluginFailure)...
MM_CORE_API std::shared_ptr<const PreparedRun> prepare_run(std::shared_ptr<const Plugin> plugin, ResolvedConfig config);
// ...then everything for one hardware profile, with the config's decode.max_new_tokens (throws InputError for a
// context longer than the model's positions or a compute dtype the chip lacks, PluginFailure).
MM_CORE_API RunResult evaluate_run(const std::shared_ptr<const PreparedRun>& prepared, const Hardware& hardware);
// Stage totals only (forward metrics, time; no module values, breakdowns or per-step figures), for `new_tokens`
// new tokens whatever the config says: what a sweep row needs. Every summary figure equals evaluate_run's.
//
// `memo` (optional) carries what one prepared run on one hardware profile gives every decode length: the vision
// and prefill totals, and for each decode op the side of the roofline at step 0 and the step where it crosses
// over (ops are affine in the context, so it crosses at most once). A memo made for another prepared run or
// hardware is reset, so a caller may keep one per (configuration, hardware) or just one.
struct TotalsMemo {
  const PreparedRun* prepared = nullptr;
  std::string hardware_id;
  std::vector<StageResult> one_step;  // vision, prefill totals
  struct Crossover {
    int8_t side0 = -1;               // 1 compute-bound at step 0, 0 memory-bound, -1 not known yet
    uint64_t same_through = 0;       // every step up to here is on side0's side
    uint64_t flips_at = UINT64_MAX;  // the first step on the other side, when found
  };
  std::vector<Crossover> decode;  // per decode tree node
  // The most decode steps this memo will be asked about (0: unknown). Checking a side once at the horizon
  // covers every shorter decode, so a sweep over decode lengths makes one extra step call per op, not one per point.
  uint64_t horizon = 0;
};
MM_CORE_API RunResult evaluate_totals(const std::shared_ptr<const PreparedRun>& prepared, const Hardware& hardware,
                                      uint64_t new_tokens, TotalsMemo* memo = nullptr);

}  // namespace modelmeter::core
