// The evaluation engine: stage trees through the ABI, host-side summation, roofline.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/plugin_check.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/core/training.hpp>
#include <mutex>
#include <string_view>

#include "calibration/kernel_map.hpp"
#include "ops/core_op.hpp"

namespace modelmeter::core {

namespace {

constexpr const char* kMetricKeys[] = {"tc_flops",         "cuda_flops",     "io_bytes",   "weight_bytes", "parameters",
                                       "activation_bytes", "kv_cache_bytes", "live_bytes", "comm_bytes"};
static_assert(std::size(kMetricKeys) == MM_METRIC_COUNT);

constexpr const char* kCategoryNames[] = {"composite",   "matmul",     "conv",          "attention",
                                          "norm",        "activation", "elementwise",   "embedding",
                                          "moe_routing", "positional", "data_movement", "communication"};
static_assert(std::size(kCategoryNames) == MM_CATEGORY_COUNT);

constexpr const char* kStageNames[] = {"vision", "prefill", "decode", "forward"};
static_assert(std::size(kStageNames) == MM_STAGE_COUNT);

// The class table of a layer, zero-extended to this host's struct (fields it predates are NULL).
mm_layer_class class_of(const mm_layer* layer) {
  mm_layer_class c{};
  if (layer != nullptr && layer->cls != nullptr) {
    std::memcpy(&c, layer->cls, std::min<std::size_t>(layer->cls->struct_size, sizeof c));
  }
  return c;
}

// How a metric combines from children into a parent: live bytes is a peak (max), everything else adds up.
bool is_peak_metric(mm_metric_id id) {
  return id == MM_METRIC_LIVE_BYTES;
}

struct Evaluator {
  const std::string& plugin_name;
  double tensor_peak;  // FLOP/s for the compute dtype, efficiency applied
  double cuda_peak;
  double bandwidth;
  std::vector<std::string>* warnings;
  bool warned_missing = false;
  const Hardware* hardware = nullptr;  // with `calibration`: times are calibrated (roofline kept aside)
  const Calibration* calibration = nullptr;
  std::vector<TotalsMemo::Crossover>* crossovers = nullptr;  // per node of the tree being timed, from step 0
  uint64_t memo_horizon = 0;                                 // the last step worth probing (see TotalsMemo)
  const Hardware* network = nullptr;  // the interconnect that times communication (null: no hardware yet)
  ParallelLayout layout = {};         // places each collective's group on the cluster

  // GPUs between two members of a group in the tp-fastest numbering (docs/parallelism.md).
  double stride_of(int32_t group) const {
    switch (group) {
      case MM_COMM_GROUP_DP:
        return layout.tp;
      case MM_COMM_GROUP_PP:
        return static_cast<double>(layout.tp) * layout.dp;
      default:  // TP, and EP (spread over the tp · dp GPUs of a stage, tp-fastest)
        return 1;
    }
  }

  struct CommTime {
    double timed = 0;        // calibrated (or roofline)
    double roof = 0;         // roofline
    double bytes_scale = 1;  // comm_bytes of the timed algorithm / the op's ring count (≠ 1 only for NVLS)
  };

  // Communication time of node i over `count` steps. A core collective op by its α–β model (the calibrated
  // all-reduce where a calibration applies: comm_bytes then stays the ring's count); any other node with
  // comm_bytes at the link bandwidth.
  CommTime comm_time(const StageTree& t, uint32_t i, uint64_t count, const MetricValues& own) const {
    if (network == nullptr) return {};
    const double n = static_cast<double>(count);
    if (!t.comms.empty() && t.comms[i].ranks > 0) {
      const StageTree::Comm& c = t.comms[i];
      if (c.ranks <= 1) return {};
      const CommPlacement place = place_group(*network, c.ranks, stride_of(c.group));
      const CollectiveTime ct = collective_time(*network, c.kind, c.bytes, place);
      const double roof = n * ct.time_s;
      if (calibration != nullptr && c.kind == Collective::AllReduce) {
        return {n * calibrated_all_reduce_time(*network, *calibration, c.bytes, place), roof, 1};
      }
      if (std::strncmp(ct.algorithm, "nvls", 4) != 0) return {roof, roof, 1};  // the op's ring count stands
      return {roof, roof, ct.bytes / collective_bytes(c.kind, c.bytes, c.ranks)};
    }
    const double bytes = own[MM_METRIC_COMM_BYTES].value_or(0);
    if (!(bytes > 0)) return {};
    if (!(network->link_bandwidth > 0)) {
      throw InputError("hardware '" + network->id + "' (" + network->path.string() +
                       ") has no [interconnect] link_gb_s, which communication needs; add it from the datasheet");
    }
    const double roof = bytes / network->link_bandwidth;  // comm_bytes is a flow: already over the steps
    return {roof, roof, 1};
  }

  [[noreturn]] void fail(const StageTree& t, uint32_t i, const char* call, const std::string& message) const {
    const mm_layer_class& cls = t.nodes[i].cls;
    throw PluginFailure("plugin '" + plugin_name + "' layer '" + t.path(i) + "' (" +
                        (cls.name != nullptr ? cls.name : "?") + "): " + call + " failed: " + message);
  }

  MetricValues own_metrics(const StageTree& t, uint32_t i, mm_pass pass, uint64_t first, uint64_t count) {
    const StageTree::Node& nd = t.nodes[i];
    const uint32_t known = nd.known_metrics;
    double out[MM_METRIC_COUNT];
    uint32_t filled = 0;
    mm_error err;  // 1 KiB: not zeroed on this hot path, only made a valid empty message
    err.code = MM_OK;
    err.message[0] = '\0';
    const mm_eval ev{sizeof(mm_eval), pass, first, count};
    const mm_status s = nd.cls.metrics(nd.layer, &ev, out, known, &filled, &err);
    const char* call = pass == MM_PASS_FORWARD ? "metrics (forward)" : "metrics (backward)";
    if (s != MM_OK) {
      err.message[MM_ERROR_MESSAGE_CAPACITY - 1] = '\0';
      fail(t, i, call, err.message);
    }
    MetricValues v{};
    filled = std::min(filled, known);
    for (uint32_t m = 0; m < filled; ++m) {
      if (!std::isfinite(out[m]) || out[m] < 0) {
        char num[32];
        const auto end = std::to_chars(num, num + sizeof num, out[m]).ptr;  // shortest form: -18432, nan, 1e+300
        fail(t, i, call,
             std::string("metric ") + kMetricKeys[m] + " is " + std::string(num, end) +
                 " (metrics must be finite and >= 0)");
      }
      v[m] = out[m];
    }
    if (filled < MM_METRIC_COUNT && !warned_missing && warnings != nullptr) {
      warned_missing = true;
      std::string names;
      for (uint32_t m = filled; m < MM_METRIC_COUNT; ++m)
        names += (names.empty() ? "" : ", ") + std::string(kMetricKeys[m]);
      warnings->push_back("plugin '" + plugin_name + "' (ABI " + abi_version_text(nd.cls.abi_version) +
                          ") does not provide " + names + " (not provided: reported as null)");
    }
    return v;
  }

  // Roofline of one op evaluated as a whole over `count` steps (flows summed): split into compute/memory.
  struct Parts {
    double compute, memory;
  };
  Parts parts(const MetricValues& m) const {
    const double tc = m[MM_METRIC_TC_FLOPS].value_or(0), cuda = m[MM_METRIC_CUDA_FLOPS].value_or(0);
    const double io = m[MM_METRIC_IO_BYTES].value_or(0);
    return {tc / tensor_peak + cuda / cuda_peak, io / bandwidth};
  }
  static RooflineTime time_of(Parts p) {
    return p.compute >= p.memory ? RooflineTime{p.compute, p.compute} : RooflineTime{p.memory, 0};
  }

  // Σ over steps of max(compute_s, memory_s), exactly, for an op whose compute − memory changes sign at most
  // once over the range (true for every op whose costs are affine in the context length): the crossover
  // step is found by bisection on single-step evaluations and each side is summed with one range call.
  RooflineTime own_time(const StageTree& t, uint32_t i, uint64_t first, uint64_t count, const MetricValues& whole) {
    if (count <= 1) return time_of(parts(whole));
    const Parts w = parts(whole);
    if (w.compute == 0 && w.memory == 0) return {};  // no flows of its own (a pure container): nothing to split
    // One side empty over the whole range (flows are >= 0, so every step's is): no step can cross over.
    if (w.memory == 0) return RooflineTime{w.compute, w.compute};  // e.g. a collective's reduction adds
    if (w.compute == 0) return RooflineTime{w.memory, 0};
    auto step = [&](uint64_t s) { return parts(own_metrics(t, i, MM_PASS_FORWARD, s, 1)); };
    auto side = [](Parts p) { return p.compute >= p.memory; };
    const uint64_t last = first + count - 1;
    bool first_compute;
    uint64_t flip = UINT64_MAX;  // the first step on the other side, or none in [first, last]
    TotalsMemo::Crossover* memo = crossovers != nullptr && first == 0 ? &(*crossovers)[i] : nullptr;
    if (memo != nullptr && memo->side0 >= 0) {
      first_compute = memo->side0 == 1;
      if (memo->flips_at != UINT64_MAX) {
        flip = memo->flips_at <= last ? memo->flips_at : UINT64_MAX;
      } else if (last > memo->same_through) {
        const uint64_t probe = std::max(last, memo_horizon);  // ahead, so that later, longer decodes need no call
        if (side(step(probe)) == first_compute) {
          memo->same_through = probe;
        } else {
          memo->flips_at = bisect(step, side, memo->same_through, probe, first_compute);
          flip = memo->flips_at <= last ? memo->flips_at : UINT64_MAX;
        }
      }
    } else {
      first_compute = side(step(first));
      const uint64_t probe = memo != nullptr ? std::max(last, memo_horizon) : last;
      uint64_t flips_at = UINT64_MAX;
      if (side(step(probe)) != first_compute) flips_at = bisect(step, side, first, probe, first_compute);
      flip = flips_at <= last ? flips_at : UINT64_MAX;
      if (memo != nullptr) {
        memo->side0 = first_compute ? 1 : 0;
        memo->same_through = flips_at == UINT64_MAX ? probe : flips_at - 1;
        memo->flips_at = flips_at;
      }
    }
    if (flip == UINT64_MAX) return first_compute ? RooflineTime{w.compute, w.compute} : RooflineTime{w.memory, 0};
    const Parts a = parts(own_metrics(t, i, MM_PASS_FORWARD, first, flip - first));
    const Parts b = parts(own_metrics(t, i, MM_PASS_FORWARD, flip, first + count - flip));
    RooflineTime r;
    for (auto [p, compute] : {std::pair{a, first_compute}, std::pair{b, !first_compute}}) {
      r.time_s += compute ? p.compute : p.memory;
      r.compute_bound_s += compute ? p.compute : 0;
    }
    return r;
  }

  // The first step in (lo, hi] on the other side, given side(lo) == from and side(hi) != from.
  template <class Step, class Side>
  static uint64_t bisect(Step&& step, Side&& side, uint64_t lo, uint64_t hi, bool from) {
    while (hi - lo > 1) {
      const uint64_t mid = lo + (hi - lo) / 2;
      (side(step(mid)) == from ? lo : hi) = mid;
    }
    return hi;
  }

  static void accumulate(MetricValues& into, const MetricValues& add, double times) {
    for (mm_metric_id m = 0; m < MM_METRIC_COUNT; ++m) {
      if (!into[m] || !add[m]) {
        into[m].reset();
      } else if (is_peak_metric(m)) {
        into[m] = std::max(*into[m], *add[m]);
      } else {
        into[m] = *into[m] + *add[m] * times;
      }
    }
  }

  // Where a stage's breakdowns accumulate (null when only totals are wanted).
  struct Breakdown {
    std::array<CategoryTotals, MM_CATEGORY_COUNT>* categories;
    std::vector<ComponentTotals>* components;
  };

  // Phase 1: every node's own metrics over steps [first, first+count).
  void own_values(const StageTree& t, uint64_t first, uint64_t count, bool backward, std::vector<NodeValues>& out) {
    const auto n = static_cast<uint32_t>(t.nodes.size());
    out.assign(n, NodeValues{});
    for (uint32_t i = 0; i < n; ++i) {
      out[i].forward = own_metrics(t, i, MM_PASS_FORWARD, first, count);
      if (backward) out[i].backward = own_metrics(t, i, MM_PASS_BACKWARD, first, count);
    }
  }

  // Phase 2, in place: `v` holds each node's own metrics on entry and its subtree totals on return. Own times
  // and the breakdowns (own figures × multiplicity) in pre-order, then the totals, children added in order.
  void totals(const StageTree& t, uint64_t first, uint64_t count, bool backward, const Breakdown* breakdown,
              std::vector<NodeValues>& v) {
    const auto n = static_cast<uint32_t>(t.nodes.size());
    if (breakdown != nullptr) {
      breakdown->components->clear();
      for (const std::string& c : t.components)
        breakdown->components->push_back(ComponentTotals{c, 0, 0, 0, 0, 0, {}, {}});
    }
    std::shared_ptr<const std::vector<KernelTime>> shape_times;
    if (calibration != nullptr && t.kernels.size() == n) shape_times = t.shape_times(*hardware);
    // Communication: the tree holds collectives, or its plugin reports comm_bytes (ABI 1.3) on some leaf.
    const bool comms = network != nullptr && (!t.comms.empty() || !layout.trivial());
    for (uint32_t i = 0; i < n; ++i) {
      v[i].time = own_time(t, i, first, count, v[i].forward);
      v[i].roofline = v[i].time;
      if (shape_times) {
        v[i].time = calibrated_own_time(*hardware, *calibration, t.kernels[i], v[i].roofline, v[i].forward, count,
                                        &(*shape_times)[i]);
      }
      if (comms) {
        const CommTime ct = comm_time(t, i, count, v[i].forward);
        v[i].time.time_s += ct.timed;
        v[i].time.comm_s += ct.timed;
        v[i].roofline.time_s += ct.roof;
        v[i].roofline.comm_s += ct.roof;
        // An NVLS all-reduce sends (r+1)/r·S per GPU, not the ring's 2(r−1)/r·S the op reported.
        if (ct.bytes_scale != 1 && v[i].forward[MM_METRIC_COMM_BYTES])
          *v[i].forward[MM_METRIC_COMM_BYTES] *= ct.bytes_scale;
      }
      if (breakdown != nullptr) {
        const StageTree::Node& nd = t.nodes[i];
        const double k = nd.multiplicity;
        const NodeValues& x = v[i];
        const auto add_to = [&](auto& tot) {
          tot.tc_flops += x.forward[MM_METRIC_TC_FLOPS].value_or(0) * k;
          tot.cuda_flops += x.forward[MM_METRIC_CUDA_FLOPS].value_or(0) * k;
          tot.io_bytes += x.forward[MM_METRIC_IO_BYTES].value_or(0) * k;
          tot.time.time_s += x.time.time_s * k;
          tot.time.compute_bound_s += x.time.compute_bound_s * k;
          tot.time.comm_s += x.time.comm_s * k;
          tot.roofline.time_s += x.roofline.time_s * k;
          tot.roofline.compute_bound_s += x.roofline.compute_bound_s * k;
          tot.roofline.comm_s += x.roofline.comm_s * k;
        };
        add_to((*breakdown->categories)[static_cast<std::size_t>(nd.category)]);
        ComponentTotals& c = (*breakdown->components)[nd.component];
        add_to(c);
        c.weight_bytes += x.forward[MM_METRIC_WEIGHT_BYTES].value_or(0) * k;
        c.parameters += x.forward[MM_METRIC_PARAMETERS].value_or(0) * k;
      }
    }
    for (uint32_t i = n; i-- > 0;) {
      NodeValues& x = v[i];
      for (uint32_t c = t.nodes[i].first_child; c != StageTree::kNone; c = t.nodes[c].next_sibling) {
        const double r = t.nodes[c].repeat;
        accumulate(x.forward, v[c].forward, r);
        if (backward) accumulate(x.backward, v[c].backward, r);
        x.time.time_s += v[c].time.time_s * r;
        x.time.compute_bound_s += v[c].time.compute_bound_s * r;
        x.time.comm_s += v[c].time.comm_s * r;
        x.roofline.time_s += v[c].roofline.time_s * r;
        x.roofline.compute_bound_s += v[c].roofline.compute_bound_s * r;
        x.roofline.comm_s += v[c].roofline.comm_s * r;
      }
    }
  }

  void evaluate(const StageTree& t, uint64_t first, uint64_t count, bool backward, const Breakdown* breakdown,
                std::vector<NodeValues>& out) {
    own_values(t, first, count, backward, out);
    totals(t, first, count, backward, breakdown, out);
  }
};

// Reads the plugin's tree once into pre-order. Throws PluginFailure naming the layer on a bad table or child.
class Flattener {
 public:
  Flattener(StageTree& t, const std::string& plugin_name) : t_(t), plugin_name_(plugin_name) {}

  void add(const mm_layer* layer, uint32_t parent, const char* name, double repeat, uint32_t component) {
    const auto i = static_cast<uint32_t>(t_.nodes.size());
    StageTree::Node& nd = t_.nodes.emplace_back();
    nd.layer = layer;
    nd.cls = class_of(layer);
    nd.parent = parent;
    nd.name = name;
    nd.repeat = repeat;
    nd.multiplicity = parent == StageTree::kNone ? repeat : t_.nodes[parent].multiplicity * repeat;
    nd.component = component;
    nd.category =
        (nd.cls.category >= 0 && nd.cls.category < MM_CATEGORY_COUNT) ? nd.cls.category : MM_CATEGORY_COMPOSITE;
    nd.known_metrics = std::min<uint32_t>(metric_count_for(nd.cls.abi_version), MM_METRIC_COUNT);
    if (nd.cls.metrics == nullptr || nd.cls.child_count == nullptr || nd.cls.child == nullptr) {
      throw PluginFailure("plugin '" + plugin_name_ + "' layer '" + t_.path(i) + "' has an incomplete class table");
    }
    const mm_layer_class cls = nd.cls;  // `nd` moves when the vector grows
    uint32_t kids = 0;
    mm_error err;  // 1 KiB: made a valid empty message, not zeroed, on this path
    err.code = MM_OK;
    err.message[0] = '\0';
    if (cls.child_count(layer, &kids, &err) != MM_OK) fail(i, err.message);
    uint32_t prev = StageTree::kNone;
    for (uint32_t k = 0; k < kids; ++k) {
      mm_child c{};
      c.struct_size = sizeof c;
      if (cls.child(layer, k, &c, &err) != MM_OK) fail(i, err.message);
      if (c.layer == nullptr || c.name == nullptr || !(c.repeat > 0) || !std::isfinite(c.repeat)) {
        fail(i, "child #" + std::to_string(k) + " has no layer, no name or a repeat <= 0");
      }
      // The component field exists from ABI 1.1 on; the callee says how much it wrote.
      const bool has_component = c.struct_size >= offsetof(mm_child, component) + sizeof c.component;
      const uint32_t comp = has_component && c.component != nullptr ? component_index(c.component) : component;
      // The fusion field exists from ABI 1.2 on.
      const bool has_fusion = c.struct_size >= offsetof(mm_child, fusion) + sizeof c.fusion;
      const auto child_index = static_cast<uint32_t>(t_.nodes.size());
      (prev == StageTree::kNone ? t_.nodes[i].first_child : t_.nodes[prev].next_sibling) = child_index;
      prev = child_index;
      add(c.layer, i, c.name, c.repeat, comp);
      t_.nodes[child_index].fusion = has_fusion ? c.fusion : nullptr;
    }
  }

  uint32_t component_index(const char* name) {
    if (name == last_name_) return last_index_;  // siblings mostly share one static string
    uint32_t c = 0;
    while (c < t_.components.size() && t_.components[c] != name) ++c;
    if (c == t_.components.size()) t_.components.emplace_back(name);
    last_name_ = name;
    last_index_ = c;
    return c;
  }

 private:
  [[noreturn]] void fail(uint32_t i, const std::string& message) const {
    const mm_layer_class& cls = t_.nodes[i].cls;
    throw PluginFailure("plugin '" + plugin_name_ + "' layer '" + t_.path(i) + "' (" +
                        (cls.name != nullptr ? cls.name : "?") + "): children failed: " + message);
  }

  StageTree& t_;
  const std::string& plugin_name_;
  const char* last_name_ = nullptr;
  uint32_t last_index_ = 0;
};

std::shared_ptr<StageTree> flatten(const mm_layer* root, const std::string& plugin_name) {
  auto t = std::make_shared<StageTree>();
  t->nodes.reserve(256);
  Flattener f(*t, plugin_name);
  f.add(root, StageTree::kNone, "model", 1, f.component_index("other"));
  return t;
}

ModuleNode materialise(const StageTree& t, const std::vector<NodeValues>& values, uint32_t i, std::string id) {
  const StageTree::Node& nd = t.nodes[i];
  ModuleNode n;
  n.name = nd.name;
  n.id = std::move(id);
  n.class_name = nd.cls.name != nullptr ? nd.cls.name : "?";
  n.class_doc = nd.cls.doc;
  n.category = nd.category;
  n.repeat = nd.repeat;
  n.component = t.components[nd.component];
  if (nd.cls.shapes != nullptr) {
    char buf[512];
    mm_error err{};
    if (nd.cls.shapes(nd.layer, buf, sizeof buf, &err) == MM_OK) n.shapes = buf;
  }
  n.forward = values[i].forward;
  n.backward = values[i].backward;
  n.time = values[i].time;
  n.roofline = values[i].roofline;
  for (uint32_t c = nd.first_child; c != StageTree::kNone; c = t.nodes[c].next_sibling) {
    n.children.push_back(materialise(t, values, c, n.id + "." + t.nodes[c].name));
  }
  return n;
}

mm_dtype dtype_setting(const ResolvedConfig& cfg, const char* key) {
  return *parse_dtype(cfg.settings.at(key).value.string);  // validated against the allowed list
}

}  // namespace

std::string StageTree::path(uint32_t index) const {
  std::vector<const char*> parts;
  for (uint32_t i = index; i != kNone; i = nodes[i].parent) parts.push_back(nodes[i].name);
  std::string p;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) p += (p.empty() ? "" : ".") + std::string(*it);
  return p;
}

ModuleNode StageResult::modules() const {
  if (!tree || nodes.size() != tree->nodes.size() || nodes.empty()) return ModuleNode{};
  return materialise(*tree, nodes, 0, "model");
}

ModuleNode evaluate_layer(const mm_layer* root, const std::string& plugin_name, const RooflineRates& rates,
                          uint64_t first_step, uint64_t step_count, std::vector<std::string>* warnings) {
  Evaluator ev{plugin_name, rates.tensor_flops, rates.cuda_flops, rates.bandwidth, warnings};
  const auto tree = flatten(root, plugin_name);
  std::vector<NodeValues> values;
  ev.evaluate(*tree, first_step, step_count, true, nullptr, values);
  return materialise(*tree, values, 0, "model");
}

FlatLayer flatten_layer(const mm_layer* root, const std::string& plugin_name) {
  Evaluator ev{plugin_name, 1, 1, 1, nullptr};
  FlatLayer f;
  const auto tree = flatten(root, plugin_name);
  ev.own_values(*tree, 0, 1, true, f.own);
  f.tree = tree;
  return f;
}

const char* metric_key(mm_metric_id id) {
  return id < MM_METRIC_COUNT ? kMetricKeys[id] : "?";
}
const char* category_name(mm_category c) {
  return (c >= 0 && c < MM_CATEGORY_COUNT) ? kCategoryNames[c] : "unknown";
}
const char* stage_name(mm_stage s) {
  return (s >= 0 && s < MM_STAGE_COUNT) ? kStageNames[s] : "?";
}

const StageResult* RunResult::stage(mm_stage s) const noexcept {
  for (const auto& st : stages)
    if (st.stage == s) return &st;
  return nullptr;
}

std::optional<double> RunResult::parameters() const {
  double total = plan.idle_parameters;
  for (const auto& s : stages) {
    if (s.stage == MM_STAGE_DECODE) continue;  // the decode stage runs the prefill's weights again
    if (!s.forward[MM_METRIC_PARAMETERS]) return std::nullopt;
    total += *s.forward[MM_METRIC_PARAMETERS];
  }
  return total;
}

std::optional<double> RunResult::weights_bytes() const {
  double total = plan.idle_parameters * precision.weight_bytes;
  for (const auto& s : stages) {
    if (s.stage == MM_STAGE_DECODE) continue;
    if (!s.forward[MM_METRIC_WEIGHT_BYTES]) return std::nullopt;
    total += *s.forward[MM_METRIC_WEIGHT_BYTES];
  }
  return total;
}

std::optional<double> RunResult::kv_cache_bytes() const {
  const StageResult* s = stage(MM_STAGE_DECODE);
  if (s == nullptr) s = stage(MM_STAGE_PREFILL);
  return s == nullptr ? std::nullopt : s->forward[MM_METRIC_KV_CACHE_BYTES];
}

std::optional<double> RunResult::activations_peak_bytes() const {
  double peak = 0;
  for (const auto& s : stages) {
    if (!s.forward[MM_METRIC_LIVE_BYTES]) return std::nullopt;
    peak = std::max(peak, *s.forward[MM_METRIC_LIVE_BYTES]);
  }
  return peak;
}

double RunResult::ttft_s() const {
  double t = 0;
  if (const StageResult* s = stage(MM_STAGE_VISION)) t += s->time.time_s;
  // Pipeline parallel: the prompt passes every stage in turn; each takes at most the busiest stage's time.
  if (const StageResult* s = stage(MM_STAGE_PREFILL)) t += s->time.time_s * pipeline_stages();
  return t;
}

std::optional<double> RunResult::tpot_s() const {
  const StageResult* d = stage(MM_STAGE_DECODE);
  if (d == nullptr || !(d->time.time_s > 0)) return std::nullopt;
  // Pipeline parallel with one batch in flight: each new token passes every stage in turn (the bubble).
  return d->time.time_s / static_cast<double>(d->steps) * pipeline_stages();
}

std::optional<double> RunResult::decode_tokens_per_s() const {
  const auto tpot = tpot_s();
  if (!tpot) return std::nullopt;
  return static_cast<double>(stage(MM_STAGE_DECODE)->batch) / *tpot;
}

std::optional<double> RunResult::memory_total_bytes() const {
  const auto w = weights_bytes(), kv = kv_cache_bytes(), act = activations_peak_bytes();
  if (!w || !kv || !act) return std::nullopt;
  return *w + *kv + *act;
}

double RunResult::samples() const noexcept {
  return static_cast<double>(prepared ? prepared->batch : 1);
}

uint64_t RunResult::tokens_per_sample() const noexcept {
  return plan.prefill_tokens;
}

double RunResult::forward_time_s() const noexcept {
  const StageResult* f = stage(MM_STAGE_FORWARD);
  return f == nullptr ? 0 : f->time.time_s;
}

std::optional<double> RunResult::task_memory_total_bytes() const {
  if (training) return training->total_bytes();
  const auto w = weights_bytes(), act = activations_peak_bytes();
  if (!w || !act) return std::nullopt;
  return *w + *act;
}

std::string RunResult::time_model() const {
  return hardware.calibration ? "calibrated:" + hardware.calibration->name : "roofline";
}

std::optional<bool> RunResult::fits() const {
  const auto total = memory_total_bytes();
  if (!total) return std::nullopt;
  return *total <= hardware.capacity;
}

const KeyCatalog& catalog_for(const Plugin& plugin) {
  return plugin.catalog();
}

namespace {

Evaluator evaluator_for(const PreparedRun& p, const Hardware& hw, std::vector<std::string>* warnings) {
  Evaluator ev{p.plugin->name(), hw.tensor_peak_for(p.compute_dtype) * hw.eff_tensor, hw.cuda_fp32_peak * hw.eff_cuda,
               hw.bandwidth * hw.eff_memory, warnings};
  ev.warned_missing = !p.warnings.empty();  // preparing the one-step stages already said it
  check_cluster(p.layout, hw);
  ev.network = &hw;
  ev.layout = p.layout;
  if (hw.calibration) {
    const Calibration& c = *hw.calibration;
    if (hw.efficiency_set) {
      throw InputError("hardware '" + hw.id + "' sets [efficiency] factors and calibration '" + c.name +
                       "' applies: a calibration replaces them; use --calibration none or drop [efficiency]");
    }
    if (c.hardware != hw.id) {
      throw InputError("calibration '" + c.name + "' (" + c.path.string() + ") was fitted for hardware '" + c.hardware +
                       "', not '" + hw.id + "'; use a calibration of '" + hw.id + "' or --calibration none");
    }
    ev.hardware = &hw;
    ev.calibration = &c;
  }
  return ev;
}

// A stage's identity for N new tokens, before any figure.
StageResult stage_head(const PreparedRun& p, const PreparedRun::Stage& ps, uint64_t N) {
  StageResult res;
  res.stage = ps.stage;
  res.batch = p.replica_batch();
  res.query_tokens = ps.query_tokens;
  res.kv_len = ps.kv_len;
  res.steps = ps.stage == MM_STAGE_DECODE ? N - 1 : 1;
  return res;
}

// Each node's own metrics over the stage: prepared for the one-step stages, asked of the plugin for decode.
void own_of(Evaluator& ev, const PreparedRun::Stage& ps, uint64_t steps, bool backward, std::vector<NodeValues>& out) {
  if (ps.stage == MM_STAGE_DECODE) {
    ev.own_values(*ps.tree, 0, steps, backward, out);
  } else {
    out = ps.own;
  }
}

void check_context(const PreparedRun& p, uint64_t N) {
  const uint64_t P = p.plan.prefill_tokens;
  if (p.plan.max_positions > 0 && P + N - 1 > p.plan.max_positions) {
    throw InputError("workload '" + p.config.workload_name + "': context P + N - 1 = " + std::to_string(P) + " + " +
                     std::to_string(N) + " - 1 = " + std::to_string(P + N - 1) + " exceeds the model's maximum of " +
                     std::to_string(p.plan.max_positions) +
                     " positions; lower decode.max_new_tokens or raise the model's maximum positions (a model.* key) "
                     "for a what-if run");
  }
}

// The common part of a result: everything but the stages.
RunResult result_head(const std::shared_ptr<const PreparedRun>& prepared, const Hardware& hw, uint64_t N) {
  const PreparedRun& p = *prepared;
  RunResult r;
  r.prepared = prepared;
  r.plugin = p.plugin;
  r.hardware = hw;
  r.plan = p.plan;
  r.model_name = p.model_name;
  r.precision = p.precision;
  r.compute_dtype = p.compute_dtype;
  r.new_tokens = N;
  r.warnings = p.warnings;
  r.task = p.task;
  r.training_options = p.training;
  return r;
}

// A stage build that failed: one line naming plugin, stage and (in the message of a plugin built with the SDK)
// the layer class whose constructor threw. The stage prefix that earlier SDKs put in the message is dropped,
// so that the stage is named once.
[[noreturn]] void throw_build_failure(const Plugin& plugin, mm_stage stage, mm_status st, mm_error& err) {
  err.message[MM_ERROR_MESSAGE_CAPACITY - 1] = '\0';
  std::string_view message = err.message;
  const std::string old_prefix = std::string("build ") + stage_name(stage) + " stage: ";
  if (message.starts_with(old_prefix)) message.remove_prefix(old_prefix.size());
  const std::string where = "plugin '" + plugin.name() + "' stage '" + stage_name(stage) + "': ";
  if (st == MM_ERR_INVALID_ARGUMENT) throw InputError(where + std::string(message));
  throw PluginFailure(where + "build failed: " + std::string(message));
}

uint64_t config_new_tokens(const ResolvedConfig& c) {
  return static_cast<uint64_t>(c.settings.at("decode.max_new_tokens").value.integer);
}

// The collectives among a tree's core ops (StageTree::comms).
void map_comms(StageTree& t) {
  const std::size_t n = t.nodes.size();
  for (std::size_t i = 0; i < n; ++i) {
    const ops::CoreOp* op = ops::core_op_of(t.nodes[i].layer);
    if (op == nullptr) continue;
    const mm_op_spec& s = op->spec();
    if (s.kind < MM_OP_ALL_REDUCE || s.kind > MM_OP_SEND_RECV) continue;
    if (t.comms.empty()) t.comms.assign(n, StageTree::Comm{});
    StageTree::Comm& c = t.comms[i];
    c.kind = static_cast<Collective>(s.kind - MM_OP_ALL_REDUCE);
    c.bytes = s.tokens * static_cast<double>(s.features) * op->precision().activation_bytes;
    c.ranks = std::max(1.0, static_cast<double>(s.ranks));
    c.group = s.comm_group;
  }
}

// A plugin asked for a sharding it does not declare (mm_plugin_info.parallel, ABI 1.3; none before) is refused.
void check_plugin_parallel(const Plugin& plugin, const ParallelLayout& l) {
  const mm_plugin_info& info = plugin.info();
  const bool has_field = info.struct_size >= offsetof(mm_plugin_info, parallel) + sizeof info.parallel;
  const uint32_t supported = has_field ? info.parallel : 0;
  const struct {
    const char* key;
    uint32_t value;
    uint32_t bit;
    const char* what;
  } asks[] = {{"parallel.tp", l.tp, MM_PARALLEL_TP, "tensor"},
              {"parallel.pp", l.pp, MM_PARALLEL_PP, "pipeline"},
              {"parallel.ep", l.ep, MM_PARALLEL_EP, "expert"}};
  for (const auto& a : asks) {
    if (a.value > 1 && (supported & a.bit) == 0) {
      throw InputError("plugin '" + plugin.name() + "' (ABI " + abi_version_text(info.abi_version) +
                       ") does not support " + a.what + " parallelism: workload key '" + a.key +
                       "' = " + std::to_string(a.value) + " (allowed: 1)");
    }
  }
}

}  // namespace

RunResult run_model(const RunRequest& req) {
  if (req.plugin->kind() != MM_PLUGIN_MODEL) {
    const Plugin& plugin = *req.plugin;
    throw PluginLoadError("'" + plugin.name() + "' (" + plugin.path().string() + ") is a writer, not a model plugin");
  }
  return evaluate_run(prepare_run(req.plugin, resolve_config(catalog_for(*req.plugin), req.inputs)), req.hardware);
}

std::shared_ptr<const PreparedRun> prepare_run(std::shared_ptr<const Plugin> plugin_ptr, ResolvedConfig config) {
  const Plugin& plugin = *plugin_ptr;
  if (plugin.kind() != MM_PLUGIN_MODEL) {
    throw PluginLoadError("'" + plugin.name() + "' (" + plugin.path().string() + ") is a writer, not a model plugin");
  }
  auto prepared = std::make_shared<PreparedRun>();
  PreparedRun& r = *prepared;
  r.plugin = std::move(plugin_ptr);
  r.config = std::move(config);
  const mm_plugin_info& info = plugin.info();
  // The task (task.kind, validated against generate | forward | train), before anything of the plugin runs.
  if (const auto it = r.config.settings.find(std::string_view(kTaskKey)); it != r.config.settings.end()) {
    r.task = parse_task(it->second.value.string).value_or(MM_TASK_GENERATE);
  }
  const uint32_t tasks = info.tasks == 0 ? MM_TASK_BIT(MM_TASK_GENERATE) : info.tasks;
  if ((tasks & MM_TASK_BIT(r.task)) == 0) throw InputError(task_refusal(plugin.name(), task_name(r.task), tasks));
  const bool generate = r.task == MM_TASK_GENERATE;
  if (generate && r.config.settings.find("decode.max_new_tokens") == r.config.settings.end()) {
    throw InputError("workload '" + r.config.workload_name +
                     "' does not set required key 'decode.max_new_tokens' (an integer from 1 to 1000000000): the "
                     "generate task needs it");
  }
  if (r.task == MM_TASK_TRAIN) {
    const auto& st = r.config.settings;
    r.training.recompute = training::parse_recompute(st.at("train.recompute").value.string).value();
    r.training.optimizer =
        training::optimizer_named(st.at("train.optimizer").value.string, st.at("train.master_weights").value.boolean)
            .value();
    r.training.dropout = st.at("train.dropout").value.boolean;
    r.training.zero = static_cast<int>(st.at("train.zero").value.integer);
  }
  // The layout, before the plugin sees it: core's own checks, then what the plugin declares it can shard.
  r.layout = parallel_layout(r.config);
  check_plugin_parallel(plugin, r.layout);
  if (r.task != MM_TASK_GENERATE) {
    // forward and train: data parallelism only (docs/training.md); tensor, pipeline and expert parallelism of a
    // training step or a forward pass are not modeled.
    const struct {
      const char* key;
      uint32_t value;
      const char* what;
    } others[] = {{"parallel.tp", r.layout.tp, "tensor"},
                  {"parallel.pp", r.layout.pp, "pipeline"},
                  {"parallel.ep", r.layout.ep, "expert"}};
    for (const auto& o : others) {
      if (o.value > 1) {
        throw InputError("workload key '" + std::string(o.key) + "' = " + std::to_string(o.value) + ": " + o.what +
                         " parallelism is modeled for task 'generate' only, not '" + task_name(r.task) +
                         "' (data parallelism, parallel.dp, is) (allowed: 1)");
      }
    }
  }
  // Plan: token counts and model facts, before any layer exists.
  {
    mm_plan raw{};
    mm_error err{};
    mm_status st;
    {
      const std::lock_guard<std::mutex> lock(plugin.build_mutex());
      st = info.plan(&r.config, &raw, &err);
    }
    if (st != MM_OK) {
      err.message[MM_ERROR_MESSAGE_CAPACITY - 1] = '\0';
      // A plugin rejects an impossible combination of values here; that is the user's input.
      if (err.code == MM_ERR_INVALID_ARGUMENT) throw InputError("plugin '" + plugin.name() + "': " + err.message);
      throw PluginFailure("plugin '" + plugin.name() + "': plan failed: " + err.message);
    }
    std::memcpy(&r.plan, &raw, std::min<std::size_t>(raw.struct_size ? raw.struct_size : sizeof raw, sizeof r.plan));
    if (!std::isfinite(r.plan.idle_parameters) || r.plan.idle_parameters < 0) {
      throw PluginFailure("plugin '" + plugin.name() + "': plan returned idle_parameters " +
                          std::to_string(r.plan.idle_parameters));
    }
    r.model_name = r.plan.model_name != nullptr ? r.plan.model_name : plugin.name();
  }
  if (r.config.settings.find("attention.impl") == r.config.settings.end()) {
    Value v;
    v.type = MM_VALUE_STRING;
    v.string = r.plan.default_attention == MM_ATTENTION_EAGER ? "eager" : "flash";
    r.config.settings["attention.impl"] = Setting{v, "model default"};
  }
  const auto& s = r.config.settings;
  r.batch = static_cast<uint64_t>(s.at("batch.size").value.integer);
  if (!generate && r.batch % r.layout.dp != 0) {  // the global batch is split over the replicas
    throw InputError("workload key 'parallel.dp' = " + std::to_string(r.layout.dp) +
                     " must divide batch.size = " + std::to_string(r.batch) + " for task '" + task_name(r.task) +
                     "' (each replica runs batch.size / parallel.dp samples) (allowed: " + divisors_text(r.batch) +
                     ")");
  }
  const uint64_t N = generate ? config_new_tokens(r.config) : 0;
  const uint64_t P = r.plan.prefill_tokens;
  if (P == 0) {
    throw InputError("workload '" + r.config.workload_name +
                     (generate
                          ? "': the prompt is empty (no vision and prompt.text_tokens = 0); a prefill needs >= 1 token"
                          : "': the plugin's plan gives 0 tokens per sample; a forward pass needs >= 1"));
  }
  if (generate) check_context(r, N);
  r.precision.struct_size = sizeof r.precision;
  r.precision.weights = dtype_setting(r.config, "precision.weights");
  r.precision.activations = dtype_setting(r.config, "precision.activations");
  r.precision.kv_cache = dtype_setting(r.config, "precision.kv_cache");
  r.precision.weight_bytes = dtype_bytes(r.precision.weights);
  r.precision.activation_bytes = dtype_bytes(r.precision.activations);
  r.precision.kv_cache_bytes = dtype_bytes(r.precision.kv_cache);
  // Matmuls run in the activations' dtype (weight-only quantisation dequantises into it).
  r.compute_dtype = r.precision.activations;
  const mm_attention_impl impl =
      s.at("attention.impl").value.string == "eager" ? MM_ATTENTION_EAGER : MM_ATTENTION_FLASH;
  mm_parallel parallel{};
  parallel.struct_size = sizeof parallel;
  parallel.tp = r.layout.tp;
  parallel.pp = r.layout.pp;
  parallel.ep = r.layout.ep;
  parallel.dp = r.layout.dp;
  parallel.pp_rank = r.layout.pp - 1;  // the last pipeline stage: the most layers and the LM head (the busiest)
  // Own metrics need no hardware: the rates are unused until times are asked for.
  Evaluator ev{plugin.name(), 1, 1, 1, &r.warnings};

  struct StagePlan {
    mm_stage stage;
    bool runs;
    uint64_t q, kv, steps;
  };
  const StagePlan plans[] = {
      {MM_STAGE_VISION, generate && r.plan.has_vision != 0, r.plan.vision_tokens, r.plan.vision_tokens, 1},
      {MM_STAGE_PREFILL, generate, P, P, 1},
      {MM_STAGE_DECODE, generate, 1, P + 1, N > 1 ? N - 1 : 1},
      {MM_STAGE_FORWARD, !generate, P, P, 1},  // forward and train: one pass over the batch, no KV cache
  };
  for (const StagePlan& sp : plans) {
    if (!sp.runs) continue;
    mm_stage_context ctx{};
    ctx.struct_size = sizeof ctx;
    ctx.stage = sp.stage;
    ctx.config = &r.config;
    ctx.precision = &r.precision;
    ctx.batch = r.replica_batch();  // forward and train: one replica's share of the global batch
    ctx.query_tokens = sp.q;
    ctx.kv_len = sp.kv;
    ctx.steps = sp.steps;
    ctx.attention = impl;
    ctx.parallel = &parallel;
    ctx.task = r.task;
    mm_layer* raw_root = nullptr;
    mm_error err{};
    mm_status st;
    {
      const std::lock_guard<std::mutex> lock(plugin.build_mutex());
      st = info.build_stage(&ctx, &raw_root, &err);
    }
    std::unique_ptr<mm_layer, LayerDeleter> root(raw_root);
    if (st == MM_ERR_NOT_FOUND || (st == MM_OK && !root)) {  // the plugin has no such stage
      if (!generate) {
        throw PluginFailure("plugin '" + plugin.name() + "' stage 'forward': build() returned no root layer, but the " +
                            "plugin declares task '" + task_name(r.task) +
                            "'; return the model run once over ctx.batch samples of ctx.query_tokens tokens");
      }
      check_missing_stage(plugin, sp.stage, r.plan, N);
      continue;
    }
    if (st != MM_OK) throw_build_failure(plugin, sp.stage, st, err);
    PreparedRun::Stage stage;
    stage.stage = sp.stage;
    stage.query_tokens = sp.q;
    stage.kv_len = sp.kv;
    auto tree = flatten(root.get(), plugin.name());
    map_kernels(*tree, plugin.name(), r.warnings);
    map_comms(*tree);
    tree->owned = std::move(root);
    check_stage_tree(plugin, sp.stage, *tree);
    tree->plugin = r.plugin;
    if (sp.stage != MM_STAGE_DECODE) ev.own_values(*tree, 0, 1, true, stage.own);
    stage.tree = std::move(tree);
    r.stages.push_back(std::move(stage));
  }
  if (generate) check_prepared_stages(r, N);
  if (!r.layout.trivial()) {
    // The whole model, every weight once: the same workload with every parallel.* = 1.
    ResolvedConfig flat = r.config;
    for (const char* key : {"parallel.tp", "parallel.pp", "parallel.ep", "parallel.dp"}) {
      const auto it = flat.settings.find(key);
      if (it != flat.settings.end()) {
        it->second.value.integer = 1;
        it->second.value.number = 1;
      }
    }
    const std::shared_ptr<const PreparedRun> whole = prepare_run(r.plugin, std::move(flat));
    std::optional<double> params = whole->plan.idle_parameters;
    std::optional<double> bytes = whole->plan.idle_parameters * r.precision.weight_bytes;
    for (const PreparedRun::Stage& st : whole->stages) {
      if (st.stage == MM_STAGE_DECODE) continue;  // decode runs the prefill's weights again
      std::vector<NodeValues> v = st.own;
      ev.totals(*st.tree, 0, 1, false, nullptr, v);
      const auto& f = v[0].forward;
      params =
          params && f[MM_METRIC_PARAMETERS] ? std::optional<double>(*params + *f[MM_METRIC_PARAMETERS]) : std::nullopt;
      bytes = bytes && f[MM_METRIC_WEIGHT_BYTES] ? std::optional<double>(*bytes + *f[MM_METRIC_WEIGHT_BYTES])
                                                 : std::nullopt;
    }
    r.model_parameters = params;
    r.model_weight_bytes = bytes;
  }
  return prepared;
}

RunResult evaluate_run(const std::shared_ptr<const PreparedRun>& prepared, const Hardware& hw) {
  const PreparedRun& p = *prepared;
  const bool generate = p.task == MM_TASK_GENERATE;
  const uint64_t N = generate ? config_new_tokens(p.config) : 0;
  if (generate) {
    check_context(p, N);
    check_prepared_stages(p, N);
  }
  RunResult r = result_head(prepared, hw, N);
  Evaluator ev = evaluator_for(p, hw, &r.warnings);
  for (const PreparedRun::Stage& ps : p.stages) {
    const bool decode = ps.stage == MM_STAGE_DECODE;
    if (decode && N <= 1) continue;
    StageResult res = stage_head(p, ps, N);
    res.tree = ps.tree;
    const Evaluator::Breakdown breakdown{&res.categories, &res.components};
    own_of(ev, ps, res.steps, true, res.nodes);
    ev.totals(*ps.tree, 0, res.steps, true, &breakdown, res.nodes);
    res.forward = res.nodes[0].forward;
    res.backward = res.nodes[0].backward;
    res.time = res.nodes[0].time;
    res.roofline = res.nodes[0].roofline;
    if (decode) {
      std::vector<NodeValues> one;
      for (auto [slot, step] : {std::pair{&res.first_step, uint64_t{0}}, std::pair{&res.last_step, res.steps - 1}}) {
        ev.evaluate(*ps.tree, step, 1, false, nullptr, one);
        *slot = StepTotals{one[0].forward, one[0].time, one[0].roofline};
      }
    }
    r.stages.push_back(std::move(res));
  }
  if (p.task == MM_TASK_TRAIN && !p.stages.empty()) {
    const PreparedRun::Stage& ps = p.stages.front();  // the forward stage
    const RooflineRates rates{hw.tensor_peak_for(p.compute_dtype) * hw.eff_tensor, hw.cuda_fp32_peak * hw.eff_cuda,
                              hw.bandwidth * hw.eff_memory};
    training::Step st = training::training_step(*ps.tree, ps.own, rates, p.training);
    if (p.layout.dp > 1 || p.training.zero > 0) {
      training::apply_data_parallel(st, hw, p.layout.dp, p.layout.tp, p.training.zero);
    }
    r.training = std::make_shared<const training::Step>(st);
  }
  return r;
}

RunResult evaluate_totals(const std::shared_ptr<const PreparedRun>& prepared, const Hardware& hw, uint64_t N,
                          TotalsMemo* memo) {
  const PreparedRun& p = *prepared;
  if (p.task != MM_TASK_GENERATE) {
    throw InputError("workload '" + p.config.workload_name + "': task '" + task_name(p.task) +
                     "' is modeled by 'modelmeter run' only; sweeps, simulate and plan model generation "
                     "(task.kind = \"generate\")");
  }
  check_context(p, N);
  check_prepared_stages(p, N);
  const std::string memo_key = hw.calibration ? hw.id + "|" + hw.calibration->name : hw.id;
  if (memo != nullptr && (memo->prepared != &p || memo->hardware_id != memo_key)) {
    const uint64_t horizon = memo->horizon;
    *memo = TotalsMemo{};
    memo->horizon = horizon;
    memo->prepared = &p;
    memo->hardware_id = memo_key;
  }
  RunResult r = result_head(prepared, hw, N);
  Evaluator ev = evaluator_for(p, hw, &r.warnings);
  std::vector<NodeValues> values;
  for (const PreparedRun::Stage& ps : p.stages) {
    const bool decode = ps.stage == MM_STAGE_DECODE;
    if (decode && N <= 1) continue;
    if (!decode && memo != nullptr) {  // the one-step stages depend on neither N nor anything else
      const auto same = std::find_if(memo->one_step.begin(), memo->one_step.end(),
                                     [&](const StageResult& s) { return s.stage == ps.stage; });
      if (same != memo->one_step.end()) {
        r.stages.push_back(*same);
        continue;
      }
    }
    StageResult& res = r.stages.emplace_back(stage_head(p, ps, N));
    own_of(ev, ps, res.steps, false, values);
    if (decode && memo != nullptr) {
      memo->decode.resize(ps.tree->nodes.size());
      ev.crossovers = &memo->decode;
      ev.memo_horizon = memo->horizon > 1 ? memo->horizon - 2 : 0;  // the last step of the longest decode
    }
    ev.totals(*ps.tree, 0, res.steps, false, nullptr, values);
    ev.crossovers = nullptr;
    res.forward = values[0].forward;
    res.time = values[0].time;
    res.roofline = values[0].roofline;
    if (!decode && memo != nullptr) memo->one_step.push_back(res);
  }
  return r;
}

}  // namespace modelmeter::core
