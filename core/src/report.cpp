// The report data model (schema in docs/report-schema.md).
#include <algorithm>
#include <cmath>
#include <limits>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/core/report.hpp>
#include <modelmeter/core/training.hpp>

namespace modelmeter::core {

struct DocTree::Node {
  mm_doc doc{};
  std::string key;
  std::string str;
  std::vector<Node*> members;
  std::vector<const char*> keys;
  std::vector<const mm_doc*> items;
};

DocTree::DocTree() {
  nodes_.emplace_back();
  root_ = &nodes_.back();
  root_->doc.type = MM_DOC_OBJECT;
}
DocTree::~DocTree() = default;

DocTree::Node* DocTree::add(Node* parent, std::string_view key) {
  nodes_.emplace_back();
  Node* n = &nodes_.back();
  n->key = key;
  parent->members.push_back(n);
  return n;
}

DocTree::Node* DocTree::object(Node* parent, std::string_view key) {
  Node* n = add(parent, key);
  n->doc.type = MM_DOC_OBJECT;
  return n;
}
DocTree::Node* DocTree::array(Node* parent, std::string_view key) {
  Node* n = add(parent, key);
  n->doc.type = MM_DOC_ARRAY;
  return n;
}
DocTree::Node* DocTree::push_object(Node* arr) {
  return object(arr, "");
}
void DocTree::set(Node* obj, std::string_view key, std::string_view s) {
  Node* n = add(obj, key);
  n->doc.type = MM_DOC_STRING;
  n->str = s;
}
void DocTree::set(Node* obj, std::string_view key, double d) {
  Node* n = add(obj, key);
  n->doc.type = MM_DOC_NUMBER;
  n->doc.number = d;
}
void DocTree::set_int(Node* obj, std::string_view key, int64_t i) {
  Node* n = add(obj, key);
  n->doc.type = MM_DOC_INT;
  n->doc.integer = i;
}
void DocTree::set(Node* obj, std::string_view key, bool b) {
  Node* n = add(obj, key);
  n->doc.type = MM_DOC_BOOL;
  n->doc.boolean = b ? 1 : 0;
}
void DocTree::set_null(Node* obj, std::string_view key) {
  add(obj, key)->doc.type = MM_DOC_NULL;
}
void DocTree::set(Node* obj, std::string_view key, const std::optional<double>& d) {
  if (d) {
    set(obj, key, *d);
  } else {
    set_null(obj, key);
  }
}
void DocTree::push(Node* arr, std::string_view s) {
  set(arr, "", s);
}
void DocTree::push_int(Node* arr, int64_t i) {
  set_int(arr, "", i);
}
void DocTree::push_number(Node* arr, const std::optional<double>& d) {
  set(arr, "", d);
}
void DocTree::push_bool(Node* arr, bool b) {
  set(arr, "", b);
}
void DocTree::push_null(Node* arr) {
  set_null(arr, "");
}
DocTree::Node* DocTree::push_array(Node* arr) {
  return array(arr, "");
}

const mm_doc* DocTree::freeze() {
  if (!frozen_) {
    for (Node& n : nodes_) {
      n.doc.string = n.doc.type == MM_DOC_STRING ? n.str.c_str() : nullptr;
      if (n.doc.type == MM_DOC_OBJECT || n.doc.type == MM_DOC_ARRAY) {
        for (Node* m : n.members) {
          n.keys.push_back(m->key.c_str());
          n.items.push_back(&m->doc);
        }
        n.doc.size = n.members.size();
        n.doc.keys = n.doc.type == MM_DOC_OBJECT ? n.keys.data() : nullptr;
        n.doc.items = n.items.data();
      }
    }
    frozen_ = true;
  }
  return &root_->doc;
}

namespace {

using Node = DocTree::Node;

constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

void set_count(DocTree& t, Node* o, std::string_view key, const std::optional<double>& v) {
  if (v && std::fabs(*v) < kMaxExactInt && *v == std::floor(*v)) {
    t.set_int(o, key, static_cast<int64_t>(*v));
  } else {
    t.set(o, key, v);
  }
}

std::optional<double> intensity(const MetricValues& m) {
  const auto& tc = m[MM_METRIC_TC_FLOPS];
  const auto& cuda = m[MM_METRIC_CUDA_FLOPS];
  const auto& io = m[MM_METRIC_IO_BYTES];
  if (!tc || !cuda || !io || *io <= 0) return std::nullopt;
  return (*tc + *cuda) / *io;
}

void metrics(DocTree& t, Node* parent, std::string_view key, const MetricValues& m) {
  Node* o = t.object(parent, key);
  for (mm_metric_id i = 0; i < MM_METRIC_COUNT; ++i) {
    if (i == MM_METRIC_PARAMETERS) {
      set_count(t, o, metric_key(i), m[i]);
    } else {
      t.set(o, metric_key(i), m[i]);
    }
  }
  t.set(o, "arithmetic_intensity", intensity(m));
}

// "communication" where collectives take more than half of the time (a collective op, the communication
// component or category), else compute or memory as before.
const char* bound_of(const RooflineTime& rt) {
  if (rt.comm_s * 2 > rt.time_s) return "communication";
  return rt.compute_bound_s * 2 >= rt.time_s ? "compute" : "memory";
}

void module(DocTree& t, Node* o, const ModuleNode& n) {
  t.set(o, "id", n.id);
  t.set(o, "name", n.name);
  t.set(o, "class", n.class_name);
  t.set(o, "category", category_name(n.category));
  t.set(o, "repeat", n.repeat);
  if (n.shapes.empty()) {
    t.set_null(o, "shapes");
  } else {
    t.set(o, "shapes", n.shapes);
  }
  t.set(o, "component", n.component);
  t.set(o, "time_s", n.time.time_s);
  t.set(o, "roofline_time_s", n.roofline.time_s);
  t.set(o, "bound", bound_of(n.time));
  metrics(t, o, "forward", n.forward);
  metrics(t, o, "backward", n.backward);
  Node* kids = t.array(o, "children");
  for (const ModuleNode& c : n.children) module(t, t.push_object(kids), c);
}

void value(DocTree& t, Node* o, std::string_view key, const Value& v) {
  switch (v.type) {
    case MM_VALUE_BOOL:
      t.set(o, key, v.boolean);
      break;
    case MM_VALUE_INT:
      t.set_int(o, key, v.integer);
      break;
    case MM_VALUE_FLOAT:
      t.set(o, key, v.number);
      break;
    case MM_VALUE_STRING:
      t.set(o, key, v.string);
      break;
    case MM_VALUE_INT_ARRAY: {
      Node* a = t.array(o, key);
      for (int64_t i : v.ints) t.push_int(a, i);
      break;
    }
    default:
      t.set_null(o, key);
      break;
  }
}

void step_totals(DocTree& t, Node* parent, std::string_view key, const MetricValues& m, double time_s) {
  Node* o = t.object(parent, key);
  t.set(o, "tc_flops", m[MM_METRIC_TC_FLOPS]);
  t.set(o, "cuda_flops", m[MM_METRIC_CUDA_FLOPS]);
  t.set(o, "io_bytes", m[MM_METRIC_IO_BYTES]);
  t.set(o, "kv_cache_bytes", m[MM_METRIC_KV_CACHE_BYTES]);
  t.set(o, "time_s", time_s);
}

}  // namespace

std::unique_ptr<DocTree> new_document(std::string_view kind, const Plugin& plugin, std::string_view tool_version) {
  auto tree = std::make_unique<DocTree>();
  DocTree& t = *tree;
  Node* root = t.root();
  t.set_int(root, "schema_version", kReportSchemaVersion);
  t.set(root, "kind", kind);
  Node* tool = t.object(root, "tool");
  t.set(tool, "name", "modelmeter");
  t.set(tool, "version", tool_version);
  Node* p = t.object(root, "plugin");
  t.set(p, "name", plugin.name());
  t.set(p, "version", plugin.version());
  t.set_int(p, "abi_version", plugin.abi_version());
  t.set(p, "abi_version_text", abi_version_text(plugin.abi_version()));
  t.set(p, "description", plugin.description());
  return tree;
}

std::unique_ptr<DocTree> build_report(const RunResult& run, std::string_view tool_version, bool freeze) {
  auto tree = new_document("report", *run.plugin, tool_version);
  DocTree& t = *tree;
  Node* root = t.root();

  Node* model = t.object(root, "model");
  t.set(model, "name", run.model_name);
  Node* model_cfg = t.object(model, "config");
  Node* workload = t.object(root, "workload");
  t.set(workload, "name", run.config().workload_name);
  t.set(workload, "description", run.config().workload_description);
  Node* values = t.object(workload, "values");
  Node* sources = t.object(workload, "sources");
  for (const std::string& key : run.config().order) {
    if (run.task != MM_TASK_GENERATE && key.rfind("decode.", 0) == 0) continue;  // not read by forward or train
    if (run.task != MM_TASK_TRAIN && key.rfind("train.", 0) == 0) continue;      // read by train only
    const auto it = run.config().settings.find(key);
    if (it == run.config().settings.end()) {
      t.set_null(values, key);
      t.set(sources, key, "unset");
      continue;
    }
    const std::string_view source = std::string_view(it->second.source).substr(0, it->second.source.find(' '));
    value(t, values, key, it->second.value);
    t.set(sources, key, source);
    if (key.rfind("model.", 0) == 0) value(t, model_cfg, key.substr(6), it->second.value);
  }

  const Hardware& hw = run.hardware;
  Node* h = t.object(root, "hardware");
  t.set(h, "id", hw.id);
  t.set(h, "name", hw.name);
  t.set(h, "vendor", hw.vendor);
  Node* peaks = t.object(h, "tensor_core_flops");
  for (int d = 0; d < 5; ++d) {
    if (hw.tensor_peak[static_cast<std::size_t>(d)]) {
      t.set(peaks, dtype_name(static_cast<mm_dtype>(d)), *hw.tensor_peak[static_cast<std::size_t>(d)]);
    }
  }
  t.set(h, "cuda_core_fp32_flops", hw.cuda_fp32_peak);
  t.set(h, "bandwidth_bytes_per_s", hw.bandwidth);
  t.set(h, "capacity_bytes", hw.capacity);
  Node* eff = t.object(h, "efficiency");
  t.set(eff, "tensor_core", hw.eff_tensor);
  t.set(eff, "cuda_core", hw.eff_cuda);
  t.set(eff, "memory", hw.eff_memory);
  const bool pure = hw.eff_tensor == 1.0 && hw.eff_cuda == 1.0 && hw.eff_memory == 1.0;
  t.set(h, "roofline",
        pure ? "pure roofline: efficiency 1.0, times are lower bounds at vendor peak"
             : "roofline with the efficiency factors above applied to the vendor peaks");
  t.set(h, "time_model", run.time_model());
  if (hw.calibration) {
    const Calibration& c = *hw.calibration;
    Node* co = t.object(h, "calibration");
    t.set(co, "name", c.name);
    t.set(co, "fitted_for", c.hardware);
    if (c.overall.rows > 0) {
      t.set_int(co, "rows", static_cast<int64_t>(c.overall.rows));
      t.set(co, "in_sample_mape", c.overall.mape);
    } else {
      t.set_null(co, "rows");
      t.set_null(co, "in_sample_mape");
    }
    t.set(co, "note",
          "time_s is calibrated: each kernel's time from its shape, fitted to measured kernels (docs/calibration.md); "
          "roofline_time_s is the pure roofline. Attention is uncalibrated (roofline plus the fitted launch latency) "
          "until measured attention kernels exist.");
  }

  Node* prec = t.object(root, "precision");
  t.set(prec, "weights", dtype_name(run.precision.weights));
  t.set(prec, "activations", dtype_name(run.precision.activations));
  t.set(prec, "kv_cache", dtype_name(run.precision.kv_cache));
  t.set(prec, "weight_bytes", run.precision.weight_bytes);
  t.set(prec, "activation_bytes", run.precision.activation_bytes);
  t.set(prec, "kv_cache_bytes", run.precision.kv_cache_bytes);
  t.set(prec, "compute_dtype", dtype_name(run.compute_dtype));
  t.set(prec, "tensor_core_peak_flops", hw.tensor_peak_for(run.compute_dtype));

  // The module trees with names, paths and shapes (evaluation keeps only flat figures).
  std::vector<ModuleNode> trees;
  trees.reserve(run.stages.size());
  for (const StageResult& s : run.stages) trees.push_back(s.modules());
  Node* stages = t.object(root, "stages");
  for (std::size_t si = 0; si < run.stages.size(); ++si) {
    const StageResult& s = run.stages[si];
    Node* so = t.object(stages, stage_name(s.stage));
    t.set_int(so, "batch", static_cast<int64_t>(s.batch));
    t.set_int(so, "query_tokens", static_cast<int64_t>(s.query_tokens));
    t.set_int(so, "kv_len", static_cast<int64_t>(s.kv_len));
    t.set_int(so, "steps", static_cast<int64_t>(s.steps));
    t.set(so, "time_s", s.time.time_s);
    t.set(so, "roofline_time_s", s.roofline.time_s);
    t.set(so, "compute_bound_time_s", s.time.compute_bound_s);
    t.set(so, "bound", s.compute_bound() ? "compute" : "memory");
    t.set(so, "comm_bytes", s.forward[MM_METRIC_COMM_BYTES]);
    t.set(so, "comm_time_s", s.time.comm_s);
    Node* totals = t.object(so, "totals");
    metrics(t, totals, "forward", s.forward);
    metrics(t, totals, "backward", s.backward);
    Node* cats = t.object(so, "categories");
    for (int c = 0; c < MM_CATEGORY_COUNT; ++c) {
      const CategoryTotals& ct = s.categories[static_cast<std::size_t>(c)];
      if (ct.tc_flops == 0 && ct.cuda_flops == 0 && ct.io_bytes == 0) continue;
      Node* co = t.object(cats, category_name(static_cast<mm_category>(c)));
      t.set(co, "tc_flops", ct.tc_flops);
      t.set(co, "cuda_flops", ct.cuda_flops);
      t.set(co, "io_bytes", ct.io_bytes);
      t.set(co, "time_s", ct.time.time_s);
      t.set(co, "roofline_time_s", ct.roofline.time_s);
      t.set(co, "bound", bound_of(ct.time));
    }
    Node* comps = t.object(so, "components");
    for (const ComponentTotals& ct : s.components) {
      Node* co = t.object(comps, ct.name);
      t.set(co, "tc_flops", ct.tc_flops);
      t.set(co, "cuda_flops", ct.cuda_flops);
      t.set(co, "io_bytes", ct.io_bytes);
      t.set(co, "time_s", ct.time.time_s);
      t.set(co, "roofline_time_s", ct.roofline.time_s);
      t.set(co, "share_of_time", s.time.time_s > 0 ? ct.time.time_s / s.time.time_s : 0.0);
      t.set(co, "bound", bound_of(ct.time));
      set_count(t, co, "parameters", ct.parameters);
      t.set(co, "weight_bytes", ct.weight_bytes);
    }
    if (s.first_step && s.last_step) {
      Node* per = t.object(so, "per_step");
      step_totals(t, per, "first", s.first_step->forward, s.first_step->time.time_s);
      step_totals(t, per, "last", s.last_step->forward, s.last_step->time.time_s);
      MetricValues mean = s.forward;
      for (mm_metric_id i : {MM_METRIC_TC_FLOPS, MM_METRIC_CUDA_FLOPS, MM_METRIC_IO_BYTES}) {
        if (mean[i]) *mean[i] /= static_cast<double>(s.steps);
      }
      step_totals(t, per, "mean", mean, s.time.time_s / static_cast<double>(s.steps));
    }
    module(t, t.object(so, "modules"), trees[si]);
  }

  add_summary(t, root, run);
  // Every layer class the run used, with its formula page and the shapes of each instance, for the
  // per-class documentation pages (in order of first use).
  struct ClassUse {
    std::string name;
    const ModuleNode* first;
    std::vector<std::pair<std::string, const ModuleNode*>> uses;  // stage, node
  };
  std::vector<ClassUse> classes;
  const auto collect = [&](const auto& self, const std::string& stage, const ModuleNode& n) -> void {
    auto it = std::find_if(classes.begin(), classes.end(), [&](const ClassUse& c) { return c.name == n.class_name; });
    if (it == classes.end()) it = classes.insert(classes.end(), ClassUse{n.class_name, &n, {}});
    it->uses.emplace_back(stage, &n);
    for (const ModuleNode& c : n.children) self(self, stage, c);
  };
  for (std::size_t si = 0; si < run.stages.size(); ++si) {
    collect(collect, stage_name(run.stages[si].stage), trees[si]);
  }
  Node* layers = t.object(root, "layers");
  for (const ClassUse& c : classes) {
    Node* lo = t.object(layers, c.name);
    t.set(lo, "category", category_name(c.first->category));
    if (c.first->class_doc != nullptr) {
      t.set(lo, "doc", c.first->class_doc);
    } else {
      t.set_null(lo, "doc");
    }
    Node* uses = t.array(lo, "instances");
    for (const auto& [stage, node] : c.uses) {
      Node* u = t.push_object(uses);
      t.set(u, "stage", stage);
      t.set(u, "id", node->id);
      if (node->shapes.empty()) {
        t.set_null(u, "shapes");
      } else {
        t.set(u, "shapes", node->shapes);
      }
    }
  }
  Node* warnings = t.array(root, "warnings");
  for (const std::string& wmsg : run.warnings) t.push(warnings, wmsg);
  if (freeze) tree->freeze();
  return tree;
}

namespace {

// summary.parallel.{tp,pp,ep,dp,gpus}.
DocTree::Node* parallel_summary(DocTree& t, DocTree::Node* sum, const ParallelLayout& layout) {
  DocTree::Node* par = t.object(sum, "parallel");
  t.set_int(par, "tp", layout.tp);
  t.set_int(par, "pp", layout.pp);
  t.set_int(par, "ep", layout.ep);
  t.set_int(par, "dp", layout.dp);
  t.set_int(par, "gpus", static_cast<int64_t>(layout.gpus()));
  return par;
}

void part(DocTree& t, DocTree::Node* parent, std::string_view key, const training::Part& p) {
  DocTree::Node* o = t.object(parent, key);
  t.set(o, "tc_flops", p.tc_flops);
  t.set(o, "cuda_flops", p.cuda_flops);
  t.set(o, "io_bytes", p.io_bytes);
  t.set(o, "time_s", p.time_s);
}

// The summary of a forward pass or a training step (docs/report-schema.md, "Tasks"): no TTFT, TPOT or decode
// figure, no KV cache.
void add_task_summary(DocTree& t, DocTree::Node* sum, const RunResult& run) {
  using Node = DocTree::Node;
  const bool train = run.task == MM_TASK_TRAIN && run.training != nullptr;
  t.set(sum, "task", task_name(run.task));
  set_count(t, sum, "parameters", run.parameters());
  const double samples = run.samples(), tokens = static_cast<double>(run.tokens_per_sample());
  t.set_int(sum, "samples", static_cast<int64_t>(samples));
  t.set_int(sum, "tokens_per_sample", static_cast<int64_t>(run.tokens_per_sample()));
  Node* sst = t.object(sum, "stages");
  for (const StageResult& s : run.stages) {
    Node* so = t.object(sst, stage_name(s.stage));
    t.set(so, "tc_flops", s.forward[MM_METRIC_TC_FLOPS]);
    t.set(so, "cuda_flops", s.forward[MM_METRIC_CUDA_FLOPS]);
    t.set(so, "io_bytes", s.forward[MM_METRIC_IO_BYTES]);
    t.set(so, "time_s", s.time.time_s);
    t.set(so, "roofline_time_s", s.roofline.time_s);
    t.set(so, "bound", s.compute_bound() ? "compute" : "memory");
  }
  const double time = train ? run.training->time_s : run.forward_time_s();
  t.set(sum, train ? "step_time_s" : "time_s", time);
  t.set(sum, "samples_per_s", time > 0 ? samples / time : 0.0);
  t.set(sum, "tokens_per_s", time > 0 ? samples * tokens / time : 0.0);
  // Data parallelism (and ZeRO): keys added only then, so that a single-GPU report keeps its keys.
  const ParallelLayout& layout = run.prepared->layout;
  const bool sharded = !layout.trivial() || (train && run.training_options.zero > 0);
  if (sharded) {
    Node* par = parallel_summary(t, sum, layout);
    t.set_int(par, "samples_per_replica", static_cast<int64_t>(run.prepared->replica_batch()));
  }
  Node* mem = t.object(sum, "memory");
  auto weights = run.weights_bytes();
  if (train && weights && run.training_options.zero >= 3) *weights /= layout.dp;  // ZeRO-3: this GPU's shard
  t.set(mem, "weights_bytes", weights);
  if (train) {
    const training::Step& st = *run.training;
    const double peak = run.hardware.tensor_peak_for(run.compute_dtype);
    t.set(sum, "mfu", st.mfu(peak));
    Node* tr = t.object(sum, "training");
    t.set(tr, "recompute", training::recompute_name(run.training_options.recompute));
    t.set(tr, "optimizer", run.training_options.optimizer.name);
    t.set(tr, "master_weights", run.training_options.optimizer.master_weight_bytes > 0);
    t.set(tr, "dropout", run.training_options.dropout);
    t.set(tr, "time_model", "roofline");
    Node* parts = t.object(tr, "parts");
    part(t, parts, "forward", st.forward);
    part(t, parts, "backward", st.backward);
    part(t, parts, "recompute", st.recompute);
    part(t, parts, "optimizer", st.optimizer);
    t.set(tr, "model_flops", st.model_flops);
    t.set(tr, "hardware_flops", st.hardware_flops);
    t.set(tr, "tensor_core_peak_flops", peak);
    t.set(tr, "layers", st.layers);
    if (sharded) {
      t.set_int(tr, "zero", run.training_options.zero);
      Node* comm = t.object(tr, "comm");
      t.set(comm, "bytes", st.comm_bytes);
      t.set(comm, "time_s", st.comm_time_s);
      t.set(comm, "algorithm", st.comm_algorithm);
      t.set(comm, "overlap", false);
    }
    t.set(mem, "gradients_bytes", st.gradient_bytes);
    t.set(mem, "optimizer_bytes", st.optimizer_bytes);
    t.set(mem, "activations_bytes", st.activation_bytes);
    t.set(mem, "recompute_working_bytes", st.recompute_working_bytes);
    if (sharded) t.set(mem, "gathered_weights_bytes", st.gathered_weight_bytes);
  } else {
    t.set(mem, "activations_peak_bytes", run.activations_peak_bytes());
  }
  const auto total = run.task_memory_total_bytes();
  t.set(mem, "total_bytes", total);
  t.set(mem, "capacity_bytes", run.hardware.capacity);
  if (total) {
    t.set(mem, "fits", *total <= run.hardware.capacity);
  } else {
    t.set_null(mem, "fits");
  }
  if (sharded) t.set(mem, "all_gpus_total_bytes", total ? std::optional<double>(*total * layout.gpus()) : std::nullopt);
}

}  // namespace

void add_summary(DocTree& t, DocTree::Node* parent, const RunResult& run) {
  using Node = DocTree::Node;
  Node* sum = t.object(parent, "summary");
  if (run.task != MM_TASK_GENERATE) {
    t.set(sum, "model", run.model_name);
    t.set(sum, "hardware", run.hardware.id);
    t.set(sum, "time_model", run.time_model());
    add_task_summary(t, sum, run);
    return;
  }
  t.set(sum, "model", run.model_name);
  t.set(sum, "hardware", run.hardware.id);
  t.set(sum, "time_model", run.time_model());
  set_count(t, sum, "parameters", run.parameters());
  t.set_int(sum, "vision_tokens", static_cast<int64_t>(run.plan.has_vision ? run.plan.vision_tokens : 0));
  t.set_int(sum, "prefill_tokens", static_cast<int64_t>(run.plan.prefill_tokens));
  const StageResult* decode = run.stage(MM_STAGE_DECODE);
  t.set_int(sum, "decode_steps", decode != nullptr ? static_cast<int64_t>(decode->steps) : 0);
  t.set_int(sum, "new_tokens", static_cast<int64_t>(run.new_tokens));
  Node* sst = t.object(sum, "stages");
  for (const StageResult& s : run.stages) {
    Node* so = t.object(sst, stage_name(s.stage));
    t.set(so, "tc_flops", s.forward[MM_METRIC_TC_FLOPS]);
    t.set(so, "cuda_flops", s.forward[MM_METRIC_CUDA_FLOPS]);
    t.set(so, "io_bytes", s.forward[MM_METRIC_IO_BYTES]);
    t.set(so, "time_s", s.time.time_s);
    t.set(so, "roofline_time_s", s.roofline.time_s);
    t.set(so, "bound", s.compute_bound() ? "compute" : "memory");
    t.set(so, "comm_bytes", s.forward[MM_METRIC_COMM_BYTES]);
    t.set(so, "comm_time_s", s.time.comm_s);
  }
  t.set(sum, "ttft_s", run.ttft_s());
  t.set(sum, "tpot_s", run.tpot_s());
  t.set(sum, "decode_tokens_per_s", run.decode_tokens_per_s());
  const ParallelLayout& layout = run.prepared->layout;
  const auto tokens_per_s = run.decode_tokens_per_s();
  t.set(sum, "decode_tokens_per_s_all_replicas",
        tokens_per_s ? std::optional<double>(*tokens_per_s * layout.dp) : std::nullopt);
  parallel_summary(t, sum, layout);
  Node* mem = t.object(sum, "memory");
  t.set(mem, "weights_bytes", run.weights_bytes());
  t.set(mem, "kv_cache_bytes", run.kv_cache_bytes());
  t.set(mem, "activations_peak_bytes", run.activations_peak_bytes());
  t.set(mem, "total_bytes", run.memory_total_bytes());
  t.set(mem, "capacity_bytes", run.hardware.capacity);
  if (const auto fits = run.fits()) {
    t.set(mem, "fits", *fits);
  } else {
    t.set_null(mem, "fits");
  }
  // Whole-model figures over every GPU (the keys above are one GPU's: the most loaded one).
  const bool trivial = layout.trivial();
  set_count(t, mem, "model_parameters", trivial ? run.parameters() : run.prepared->model_parameters);
  t.set(mem, "model_weights_bytes", trivial ? run.weights_bytes() : run.prepared->model_weight_bytes);
  const auto per_gpu = run.memory_total_bytes();
  t.set(mem, "all_gpus_total_bytes", per_gpu ? std::optional<double>(*per_gpu * layout.gpus()) : std::nullopt);
}

std::unique_ptr<DocTree> build_docs(const Plugin& plugin, std::string_view tool_version) {
  auto tree = new_document("docs", plugin, tool_version);
  DocTree& t = *tree;
  Node* root = t.root();
  Node* layers = t.object(root, "layers");
  std::vector<const mm_layer_class*> classes;
  for (std::size_t i = 0; i < plugin.info().class_count; ++i) classes.push_back(plugin.info().classes[i]);
  for (const mm_layer_class* c : op_classes()) classes.push_back(c);
  std::vector<std::string> seen;
  for (const mm_layer_class* c : classes) {
    if (std::find(seen.begin(), seen.end(), c->name) != seen.end()) continue;
    seen.emplace_back(c->name);
    Node* lo = t.object(layers, c->name);
    t.set(lo, "category", category_name(c->category));
    if (c->doc != nullptr) {
      t.set(lo, "doc", c->doc);
    } else {
      t.set_null(lo, "doc");
    }
    t.array(lo, "instances");
  }
  tree->freeze();
  return tree;
}

}  // namespace modelmeter::core
