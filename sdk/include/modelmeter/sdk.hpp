// ModelMeter SDK — the header-only C++17 layer plugin authors use on top of the C ABI (abi.h).
//
// A plugin author subclasses modelmeter::BaseLayer, composes core's generic ops (modelmeter::ops), gives each
// class its identity with MODELMETER_LAYER_CLASS, and defines the plugin with MODELMETER_MODEL_PLUGIN (or
// MODELMETER_WRITER_PLUGIN). Every function pointer the SDK hands to the host is a noexcept trampoline that turns
// any C++ exception into an mm_status and a message, so no exception ever crosses the boundary.
//
// Nothing here needs Boost or any library beyond the C++17 standard library.
#ifndef MODELMETER_SDK_HPP
#define MODELMETER_SDK_HPP

#include <modelmeter/abi.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace modelmeter {

// ------------------------------------------------------------------------------------------------------
// Errors

// Throw from plugin code to report a failure with a specific status; any other exception becomes
// MM_ERR_INTERNAL with its what() text.
class Error : public std::runtime_error {
 public:
  Error(mm_status code, const std::string& message) : std::runtime_error(message), code_(code) {}
  mm_status code() const noexcept { return code_; }

 private:
  mm_status code_;
};

// The layer cannot give a metric: never return 0 for "not modeled", throw this.
class NotModeled : public Error {
 public:
  explicit NotModeled(const std::string& message) : Error(MM_ERR_NOT_MODELED, message) {}
};

class InvalidArgument : public Error {
 public:
  explicit InvalidArgument(const std::string& message) : Error(MM_ERR_INVALID_ARGUMENT, message) {}
};

namespace detail {

inline void set_error(mm_error* err, mm_status code, std::string_view message) noexcept {
  if (err == nullptr) return;
  err->code = code;
  const std::size_t n = std::min(message.size(), static_cast<std::size_t>(MM_ERROR_MESSAGE_CAPACITY - 1));
  std::memcpy(err->message, message.data(), n);
  err->message[n] = '\0';
  for (std::size_t i = 0; i < n; ++i) {  // one line, always
    if (err->message[i] == '\n' || err->message[i] == '\r') err->message[i] = ' ';
  }
}

// Runs `fn` and converts every exception into a status. `where()`, called inside the handler (so it may look
// at std::current_exception()), gives what prefixes the message (class and call); empty: no prefix.
template <class Where, class Fn>
mm_status guarded_at(mm_error* err, Where&& where, Fn&& fn) noexcept {
  const auto text = [&](const char* message) {
    const std::string w = where();
    return w.empty() ? std::string(message) : w + ": " + message;
  };
  try {
    fn();
    return MM_OK;
  } catch (const Error& e) {
    try {
      set_error(err, e.code(), text(e.what()));
    } catch (...) {
      set_error(err, e.code(), "exception (message lost)");
    }
    return e.code();
  } catch (const std::bad_alloc&) {
    try {
      set_error(err, MM_ERR_OUT_OF_MEMORY, text("out of memory"));
    } catch (...) {
      set_error(err, MM_ERR_OUT_OF_MEMORY, "out of memory");
    }
    return MM_ERR_OUT_OF_MEMORY;
  } catch (const std::exception& e) {
    try {
      set_error(err, MM_ERR_INTERNAL, text(e.what()));
    } catch (...) {
      set_error(err, MM_ERR_INTERNAL, "exception (message lost)");
    }
    return MM_ERR_INTERNAL;
  } catch (...) {
    try {
      set_error(err, MM_ERR_INTERNAL, text("unknown exception"));
    } catch (...) {
      set_error(err, MM_ERR_INTERNAL, "unknown exception");
    }
    return MM_ERR_INTERNAL;
  }
}

template <class Fn>
mm_status guarded(mm_error* err, const char* where, Fn&& fn) noexcept {
  return guarded_at(
      err, [where] { return std::string(where); }, std::forward<Fn>(fn));
}

// The innermost layer constructor an exception in flight left (make_layer notes it on the way out), so that a
// stage build that fails names the class once: the exception object tells a stale note from a current one.
struct FailedConstructor {
  const char* class_name = nullptr;
  std::exception_ptr exception;
};
inline FailedConstructor& failed_constructor() noexcept {
  static thread_local FailedConstructor f;
  return f;
}
// Called from a handler: keeps the first (innermost) class the current exception passed through.
inline void note_failed_constructor(const char* class_name) noexcept {
  FailedConstructor& f = failed_constructor();
  std::exception_ptr current = std::current_exception();
  if (f.exception != current || f.class_name == nullptr) {
    f.class_name = class_name;
    f.exception = std::move(current);
  }
}

// The host services table given at entry. Set once by the entry function, read-only afterwards.
inline const mm_host_api*& host_slot() noexcept {
  static const mm_host_api* host = nullptr;
  return host;
}

inline const mm_host_api& host() {
  const mm_host_api* h = host_slot();
  if (h == nullptr) throw Error(MM_ERR_INTERNAL, "host services are not available (plugin not entered)");
  return *h;
}

inline void check(mm_status status, const mm_error& err) {
  if (status != MM_OK) throw Error(status, err.message);
}

}  // namespace detail

inline void log(mm_log_level level, const std::string& message) {
  const mm_host_api* h = detail::host_slot();
  if (h != nullptr && h->log != nullptr) h->log(level, message.c_str());
}

// ------------------------------------------------------------------------------------------------------
// Metrics

enum class Pass : int32_t { Forward = MM_PASS_FORWARD, Backward = MM_PASS_BACKWARD };

// One value per metric ID. Flow metrics add up over steps; state metrics are held (see abi.h).
struct Metrics {
  double tc_flops = 0;
  double cuda_flops = 0;
  double io_bytes = 0;
  double weight_bytes = 0;
  double parameters = 0;
  double activation_bytes = 0;
  double kv_cache_bytes = 0;
  double live_bytes = 0;
  double comm_bytes = 0;  // 1.3: interconnect bytes this GPU sends + receives (collectives only)

  static constexpr uint32_t kCount = MM_METRIC_COUNT;

  double get(mm_metric_id id) const noexcept {
    switch (id) {
      case MM_METRIC_TC_FLOPS:
        return tc_flops;
      case MM_METRIC_CUDA_FLOPS:
        return cuda_flops;
      case MM_METRIC_IO_BYTES:
        return io_bytes;
      case MM_METRIC_WEIGHT_BYTES:
        return weight_bytes;
      case MM_METRIC_PARAMETERS:
        return parameters;
      case MM_METRIC_ACTIVATION_BYTES:
        return activation_bytes;
      case MM_METRIC_KV_CACHE_BYTES:
        return kv_cache_bytes;
      case MM_METRIC_LIVE_BYTES:
        return live_bytes;
      case MM_METRIC_COMM_BYTES:
        return comm_bytes;
      default:
        return std::nan("");
    }
  }

  // Flow metrics summed over `steps` identical steps; state metrics unchanged.
  Metrics repeated_steps(double steps) const noexcept {
    Metrics m = *this;
    m.tc_flops *= steps;
    m.cuda_flops *= steps;
    m.io_bytes *= steps;
    m.comm_bytes *= steps;
    return m;
  }
};

inline constexpr bool is_flow_metric(mm_metric_id id) noexcept {
  return id == MM_METRIC_TC_FLOPS || id == MM_METRIC_CUDA_FLOPS || id == MM_METRIC_IO_BYTES ||
         id == MM_METRIC_COMM_BYTES;
}

// ------------------------------------------------------------------------------------------------------
// Configuration and stage context

class Config {
 public:
  explicit Config(const mm_config* c) : config_(c) {}

  mm_value value(const char* key) const {
    mm_value v{};
    mm_error err{};
    detail::check(detail::host().config_get(config_, key, &v, &err), err);
    return v;
  }
  bool has(const char* key) const { return value(key).type != MM_VALUE_NONE; }
  int64_t get_int(const char* key) const { return expect(key, MM_VALUE_INT).integer; }
  double get_number(const char* key) const {
    const mm_value v = value(key);
    if (v.type != MM_VALUE_INT && v.type != MM_VALUE_FLOAT) throw wrong(key, "a number");
    return v.number;
  }
  bool get_bool(const char* key) const { return expect(key, MM_VALUE_BOOL).boolean != 0; }
  std::string get_string(const char* key) const { return expect(key, MM_VALUE_STRING).string; }
  std::vector<int64_t> get_ints(const char* key) const {
    const mm_value v = expect(key, MM_VALUE_INT_ARRAY);
    return std::vector<int64_t>(v.ints, v.ints + v.count);
  }
  const mm_config* raw() const noexcept { return config_; }

 private:
  mm_value expect(const char* key, mm_value_type type) const {
    const mm_value v = value(key);
    if (v.type != type) throw wrong(key, type == MM_VALUE_NONE ? "set" : "of the declared type");
    return v;
  }
  static Error wrong(const char* key, const char* what) {
    return Error(MM_ERR_INVALID_ARGUMENT, std::string("config key '") + key + "' is not " + what);
  }
  const mm_config* config_;
};

// A copy of the stage context a layer was created for (the host's struct lives only during the call).
class StageContext {
 public:
  // The host is never older than the plugin (negotiation refuses that), so its context has every field this
  // SDK knows. A NULL `parallel` means no parallelism; a degree of 0 reads as 1.
  explicit StageContext(const mm_stage_context& c)
      : raw_(c), precision_(c.precision != nullptr ? *c.precision : mm_precision{}) {
    if (c.parallel != nullptr) {
      std::memcpy(&parallel_, c.parallel, std::min<std::size_t>(c.parallel->struct_size, sizeof parallel_));
    }
    raw_.struct_size = sizeof raw_;  // this copy is exactly this SDK's struct (older SDKs kept the host's size)
    normalise_parallel();
    fix_pointers();
  }
  StageContext(const StageContext& o)
      : raw_(o.raw_), precision_(o.precision_), parallel_(o.parallel_), shared_weights_(o.shared_weights_) {
    fix_pointers();
  }
  StageContext& operator=(const StageContext& o) {
    raw_ = o.raw_;
    precision_ = o.precision_;
    parallel_ = o.parallel_;
    shared_weights_ = o.shared_weights_;
    fix_pointers();
    return *this;
  }

  // A copy whose layers reuse weights owned by another instance (e.g. one encoder run on two view sizes):
  // every op created with it reports 0 parameters and 0 weight bytes but still reads its weights.
  StageContext with_shared_weights() const {
    StageContext c(*this);
    c.shared_weights_ = true;
    return c;
  }
  bool shared_weights() const noexcept { return shared_weights_; }

  mm_stage stage() const noexcept { return raw_.stage; }
  uint64_t batch() const noexcept { return raw_.batch; }
  uint64_t query_tokens() const noexcept { return raw_.query_tokens; }
  uint64_t kv_len() const noexcept { return raw_.kv_len; }
  uint64_t steps() const noexcept { return raw_.steps; }
  mm_attention_impl attention() const noexcept { return raw_.attention; }
  const mm_precision& precision() const noexcept { return precision_; }
  // 1.3: the parallel layout (every degree 1 from an older host) and the task (generation from an older host).
  const mm_parallel& parallel() const noexcept { return parallel_; }
  mm_task task() const noexcept { return raw_.task; }
  // Valid only while the host's build_stage call runs (read what you need in constructors).
  Config config() const { return Config(raw_.config); }
  const mm_stage_context& raw() const noexcept { return raw_; }

 private:
  void normalise_parallel() noexcept {
    parallel_.struct_size = sizeof parallel_;
    if (parallel_.tp == 0) parallel_.tp = 1;
    if (parallel_.pp == 0) parallel_.pp = 1;
    if (parallel_.ep == 0) parallel_.ep = 1;
    if (parallel_.dp == 0) parallel_.dp = 1;
  }
  void fix_pointers() noexcept {
    raw_.precision = &precision_;
    raw_.parallel = &parallel_;
  }

  mm_stage_context raw_;
  mm_precision precision_;
  mm_parallel parallel_{sizeof(mm_parallel), 1, 1, 1, 1, 0};
  bool shared_weights_ = false;
};

// ------------------------------------------------------------------------------------------------------
// Layer handles

// Owns an mm_layer made by anyone (this plugin, or core through create_op); destroys it through its own class.
class LayerPtr {
 public:
  LayerPtr() = default;
  explicit LayerPtr(mm_layer* l) noexcept : layer_(l) {}
  LayerPtr(LayerPtr&& o) noexcept : layer_(std::exchange(o.layer_, nullptr)) {}
  LayerPtr& operator=(LayerPtr&& o) noexcept {
    if (this != &o) {
      reset();
      layer_ = std::exchange(o.layer_, nullptr);
    }
    return *this;
  }
  LayerPtr(const LayerPtr&) = delete;
  LayerPtr& operator=(const LayerPtr&) = delete;
  ~LayerPtr() { reset(); }

  void reset() noexcept {
    if (layer_ != nullptr) layer_->cls->destroy(layer_);
    layer_ = nullptr;
  }
  mm_layer* release() noexcept { return std::exchange(layer_, nullptr); }
  mm_layer* get() const noexcept { return layer_; }
  explicit operator bool() const noexcept { return layer_ != nullptr; }

 private:
  mm_layer* layer_ = nullptr;
};

class BaseLayer;

namespace detail {
template <class T>
struct LayerBox {
  mm_layer base;  // first member: an mm_layer* is a LayerBox*
  T impl;
  template <class... Args>
  explicit LayerBox(const mm_layer_class* cls, Args&&... args) : base{cls}, impl(std::forward<Args>(args)...) {}
};
template <class T>
const T& impl_of(const mm_layer* l) noexcept {
  return reinterpret_cast<const LayerBox<T>*>(l)->impl;
}
}  // namespace detail

// ------------------------------------------------------------------------------------------------------
// BaseLayer

struct Child {
  std::string name;
  LayerPtr layer;
  double repeat;
  std::string component;  // empty: the parent's
  std::string fusion;     // empty: its own kernel; else siblings with the same key run as one kernel (ABI 1.2)
};

// Subclass this. A layer is immutable once constructed: do every computation that can fail in the
// constructor; metric functions must be pure and reentrant.
class BaseLayer {
 public:
  virtual ~BaseLayer() = default;

  // The layer's OWN metrics for one step of its stage: everything for a leaf, the glue ops only for a
  // composite (children are added by the host). The default is a pure container with no ops of its own.
  virtual Metrics own(Pass /*pass*/) const { return Metrics{}; }

  // Own metrics over `count` steps starting at `first` (decode: step s sees kv_len + s positions).
  // The default suits layers whose own cost does not depend on the step; override it otherwise.
  virtual Metrics own_steps(Pass pass, uint64_t /*first*/, uint64_t count) const {
    return own(pass).repeated_steps(static_cast<double>(count));
  }

  // One line describing the shapes the layer was created with (for the formula pages).
  virtual std::string shapes() const { return {}; }

  const std::vector<Child>& children() const noexcept { return children_; }

 protected:
  BaseLayer() = default;
  BaseLayer(const BaseLayer&) = delete;
  BaseLayer& operator=(const BaseLayer&) = delete;

  // Declares a child; the layer keeps it until it is destroyed. Returns the child for inspection.
  // `component` names the report component of the child's subtree ("decoder attention"); empty = the parent's.
  // `fusion` names the kernel fusion group (siblings with the same key run as one kernel; docs/calibration.md).
  const mm_layer* add_child(std::string name, LayerPtr child, double repeat = 1.0, std::string component = {},
                            std::string fusion = {}) {
    if (!child) throw InvalidArgument("child '" + name + "' is null");
    if (!(repeat > 0) || !std::isfinite(repeat)) throw InvalidArgument("child '" + name + "' has a repeat <= 0");
    const mm_layer* raw = child.get();
    children_.push_back(Child{std::move(name), std::move(child), repeat, std::move(component), std::move(fusion)});
    return raw;
  }

 private:
  std::vector<Child> children_;
};

// Gives a BaseLayer subclass its registered identity. Use inside the class body, in a public section:
//   class DeepseekV2MoE : public modelmeter::BaseLayer {
//    public:
//     MODELMETER_LAYER_CLASS(DeepseekV2MoE, MM_CATEGORY_COMPOSITE, kDeepseekV2MoEDoc)
#define MODELMETER_LAYER_CLASS(ClassName, category, doc_text) \
  static constexpr const char* kLayerClassName = #ClassName;  \
  static constexpr mm_category kLayerCategory = (category);   \
  static constexpr const char* kLayerDoc = (doc_text);

namespace detail {

template <class T>
mm_status tr_metrics(const mm_layer* self, const mm_eval* eval, double* out, uint32_t capacity, uint32_t* filled,
                     mm_error* err) noexcept {
  const char* where = T::kLayerClassName;
  return guarded(err, where, [&] {
    if (eval == nullptr || out == nullptr || filled == nullptr) throw InvalidArgument("null argument to metrics");
    const Pass pass = eval->pass == MM_PASS_BACKWARD ? Pass::Backward : Pass::Forward;
    if (eval->step_count == 0) throw InvalidArgument("metrics asked for zero steps");
    const Metrics m = impl_of<T>(self).own_steps(pass, eval->first_step, eval->step_count);
    const uint32_t n = std::min<uint32_t>(capacity, Metrics::kCount);
    for (uint32_t i = 0; i < n; ++i) out[i] = m.get(i);
    *filled = n;
  });
}

template <class T>
mm_status tr_child_count(const mm_layer* self, uint32_t* out, mm_error* err) noexcept {
  return guarded(err, T::kLayerClassName, [&] { *out = static_cast<uint32_t>(impl_of<T>(self).children().size()); });
}

template <class T>
mm_status tr_child(const mm_layer* self, uint32_t index, mm_child* out, mm_error* err) noexcept {
  return guarded(err, T::kLayerClassName, [&] {
    const auto& kids = impl_of<T>(self).children();
    if (index >= kids.size()) throw Error(MM_ERR_NOT_FOUND, "child index out of range");
    const Child& k = kids[index];
    const mm_child c{sizeof(mm_child),
                     k.name.c_str(),
                     k.layer.get(),
                     k.repeat,
                     k.component.empty() ? nullptr : k.component.c_str(),
                     k.fusion.empty() ? nullptr : k.fusion.c_str()};
    // Write no more than the caller's struct holds (an older host has a smaller one).
    const std::size_t n = std::min<std::size_t>(out->struct_size, sizeof c);
    if (n < offsetof(mm_child, repeat) + sizeof c.repeat) throw InvalidArgument("mm_child struct_size too small");
    std::memcpy(out, &c, n);
    out->struct_size = static_cast<uint32_t>(n);
  });
}

template <class T>
mm_status tr_shapes(const mm_layer* self, char* buffer, std::size_t capacity, mm_error* err) noexcept {
  return guarded(err, T::kLayerClassName, [&] {
    if (buffer == nullptr || capacity == 0) throw InvalidArgument("no buffer for shapes");
    const std::string s = impl_of<T>(self).shapes();
    const std::size_t n = std::min(s.size(), capacity - 1);
    std::memcpy(buffer, s.data(), n);
    buffer[n] = '\0';
  });
}

template <class T>
void tr_destroy(mm_layer* self) noexcept {
  delete reinterpret_cast<LayerBox<T>*>(self);
}

}  // namespace detail

// The class table of a registered layer class: constant-initialised, no work at load time.
template <class T>
inline constexpr mm_layer_class class_table = {
    sizeof(mm_layer_class), MM_ABI_VERSION,         T::kLayerClassName,         T::kLayerCategory,
    T::kLayerDoc,           &detail::tr_metrics<T>, &detail::tr_child_count<T>, &detail::tr_child<T>,
    &detail::tr_destroy<T>, &detail::tr_shapes<T>,
};

// Creates a plugin layer and hands it out as an owning handle.
template <class T, class... Args>
LayerPtr make_layer(Args&&... args) {
  static_assert(std::is_base_of_v<BaseLayer, T>, "layers derive from modelmeter::BaseLayer");
  detail::LayerBox<T>* box = nullptr;
  try {
    box = new detail::LayerBox<T>(&class_table<T>, std::forward<Args>(args)...);
  } catch (...) {
    detail::note_failed_constructor(T::kLayerClassName);  // the exception itself goes on unchanged
    throw;
  }
  return LayerPtr(&box->base);
}

// Parameters of a whole layer tree, summed the host's way (own + children × repeat), through the class
// tables. For a plugin that must report parameters of modules a workload does not run (mm_plan).
inline double tree_parameters(const mm_layer* layer) {
  double own[MM_METRIC_COUNT] = {};
  uint32_t filled = 0;
  mm_error err{};
  const mm_eval eval{sizeof(mm_eval), MM_PASS_FORWARD, 0, 1};
  detail::check(layer->cls->metrics(layer, &eval, own, MM_METRIC_PARAMETERS + 1, &filled, &err), err);
  if (filled <= MM_METRIC_PARAMETERS) throw Error(MM_ERR_NOT_MODELED, "a layer does not report parameters");
  double total = own[MM_METRIC_PARAMETERS];
  uint32_t count = 0;
  detail::check(layer->cls->child_count(layer, &count, &err), err);
  for (uint32_t i = 0; i < count; ++i) {
    mm_child c{};
    c.struct_size = sizeof c;
    detail::check(layer->cls->child(layer, i, &c, &err), err);
    total += c.repeat * tree_parameters(c.layer);
  }
  return total;
}

// ------------------------------------------------------------------------------------------------------
// Core's generic operators (created by the host; the plugin never links core)

namespace ops {

inline LayerPtr create(const StageContext& ctx, mm_op_spec spec) {
  spec.struct_size = sizeof(mm_op_spec);
  if (ctx.shared_weights()) spec.shared_weights = 1;
  mm_layer* out = nullptr;
  mm_error err{};
  detail::check(detail::host().create_op(&ctx.raw(), &spec, &out, &err), err);
  return LayerPtr(out);
}

inline mm_op_spec spec(mm_op_kind kind, double tokens) {
  mm_op_spec s{};
  s.kind = kind;
  s.tokens = tokens;
  return s;
}

// y[tokens, out] = x[tokens, in] · Wᵀ (+ b). With groups > 1 the op is a grouped GEMM over `groups` weight
// matrices of which `groups_touched` (expected) are read; `tokens` counts token-slots over all groups.
inline LayerPtr linear(const StageContext& ctx, double tokens, uint64_t in, uint64_t out, bool bias,
                       uint64_t groups = 1, double groups_touched = 0) {
  mm_op_spec s = spec(MM_OP_LINEAR, tokens);
  s.in_features = in;
  s.out_features = out;
  s.bias = bias ? 1 : 0;
  s.groups = groups;
  s.groups_touched = groups_touched;
  return create(ctx, s);
}

inline LayerPtr conv2d(const StageContext& ctx, uint64_t images, uint64_t in_ch, uint64_t out_ch, uint64_t in_h,
                       uint64_t in_w, uint64_t kernel, uint64_t stride, uint64_t padding, bool bias) {
  mm_op_spec s = spec(MM_OP_CONV2D, 0);
  s.batch = images;
  s.in_features = in_ch;
  s.out_features = out_ch;
  s.in_h = in_h;
  s.in_w = in_w;
  s.kernel_h = kernel;
  s.kernel_w = kernel;
  s.stride = stride;
  s.padding = padding;
  s.bias = bias ? 1 : 0;
  return create(ctx, s);
}

inline LayerPtr layer_norm(const StageContext& ctx, double tokens, uint64_t features, bool bias = true) {
  mm_op_spec s = spec(MM_OP_LAYERNORM, tokens);
  s.features = features;
  s.bias = bias ? 1 : 0;
  return create(ctx, s);
}

inline LayerPtr rms_norm(const StageContext& ctx, double tokens, uint64_t features) {
  mm_op_spec s = spec(MM_OP_RMSNORM, tokens);
  s.features = features;
  return create(ctx, s);
}

inline LayerPtr elementwise(const StageContext& ctx, mm_op_kind kind, double tokens, uint64_t features) {
  mm_op_spec s = spec(kind, tokens);
  s.features = features;
  return create(ctx, s);
}
inline LayerPtr gelu(const StageContext& ctx, double tokens, uint64_t features, bool quick = false) {
  mm_op_spec s = spec(MM_OP_GELU, tokens);
  s.features = features;
  s.quick_gelu = quick ? 1 : 0;
  return create(ctx, s);
}
inline LayerPtr silu(const StageContext& ctx, double tokens, uint64_t features) {
  return elementwise(ctx, MM_OP_SILU, tokens, features);
}
inline LayerPtr add(const StageContext& ctx, double tokens, uint64_t features) {
  return elementwise(ctx, MM_OP_ADD, tokens, features);
}
inline LayerPtr mul(const StageContext& ctx, double tokens, uint64_t features) {
  return elementwise(ctx, MM_OP_MUL, tokens, features);
}
inline LayerPtr softmax(const StageContext& ctx, double tokens, uint64_t features) {
  return elementwise(ctx, MM_OP_SOFTMAX, tokens, features);
}

inline LayerPtr embedding(const StageContext& ctx, double tokens, uint64_t vocab, uint64_t features) {
  mm_op_spec s = spec(MM_OP_EMBEDDING, tokens);
  s.vocab = vocab;
  s.features = features;
  return create(ctx, s);
}

struct AttentionShape {
  uint64_t batch = 1;
  uint64_t heads = 1;
  uint64_t kv_heads = 0;  // 0: = heads
  uint64_t head_dim = 64;
  uint64_t v_head_dim = 0;  // 0: = head_dim
  uint64_t query_len = 1;
  uint64_t kv_len = 1;
  bool causal = false;
  bool grows_per_step = false;  // decode: kv_len grows by one per step
  bool writes_kv_cache = false;
  bool kv_shared = false;  // K and V are one cached tensor (MLA latent), see mm_op_spec.kv_shared
  mm_attention_impl impl = MM_ATTENTION_FLASH;
};

inline LayerPtr attention(const StageContext& ctx, const AttentionShape& a) {
  mm_op_spec s = spec(MM_OP_ATTENTION, static_cast<double>(a.batch * a.query_len));
  s.batch = a.batch;
  s.heads = a.heads;
  s.kv_heads = a.kv_heads;
  s.head_dim = a.head_dim;
  s.v_head_dim = a.v_head_dim;
  s.query_len = a.query_len;
  s.kv_len = a.kv_len;
  s.causal = a.causal ? 1 : 0;
  s.grows_per_step = a.grows_per_step ? 1 : 0;
  s.writes_kv_cache = a.writes_kv_cache ? 1 : 0;
  s.kv_shared = a.kv_shared ? 1 : 0;
  s.impl = a.impl;
  return create(ctx, s);
}

// Collectives (ABI 1.3) over the `ranks` GPUs of a parallel group (MM_COMM_GROUP_*): the buffer is tokens ×
// features elements of the activation dtype per GPU (all-gather: the gathered result; docs/parallelism.md).
inline LayerPtr collective(const StageContext& ctx, mm_op_kind kind, double tokens, uint64_t features, uint64_t ranks,
                           int32_t group) {
  mm_op_spec s = spec(kind, tokens);
  s.features = features;
  s.ranks = ranks;
  s.comm_group = group;
  return create(ctx, s);
}
inline LayerPtr all_reduce(const StageContext& ctx, double tokens, uint64_t features, uint64_t ranks,
                           int32_t group = MM_COMM_GROUP_TP) {
  return collective(ctx, MM_OP_ALL_REDUCE, tokens, features, ranks, group);
}
inline LayerPtr all_gather(const StageContext& ctx, double tokens, uint64_t features, uint64_t ranks,
                           int32_t group = MM_COMM_GROUP_TP) {
  return collective(ctx, MM_OP_ALL_GATHER, tokens, features, ranks, group);
}
inline LayerPtr reduce_scatter(const StageContext& ctx, double tokens, uint64_t features, uint64_t ranks,
                               int32_t group = MM_COMM_GROUP_TP) {
  return collective(ctx, MM_OP_REDUCE_SCATTER, tokens, features, ranks, group);
}
inline LayerPtr all_to_all(const StageContext& ctx, double tokens, uint64_t features, uint64_t ranks,
                           int32_t group = MM_COMM_GROUP_EP) {
  return collective(ctx, MM_OP_ALL_TO_ALL, tokens, features, ranks, group);
}
inline LayerPtr send_recv(const StageContext& ctx, double tokens, uint64_t features, uint64_t ranks = 2,
                          int32_t group = MM_COMM_GROUP_PP) {
  return collective(ctx, MM_OP_SEND_RECV, tokens, features, ranks, group);
}

}  // namespace ops

// ------------------------------------------------------------------------------------------------------
// Workload key declarations (constant-initialised)

constexpr mm_key_decl key_int(const char* key, const char* def, double min, double max, const char* help) {
  return mm_key_decl{sizeof(mm_key_decl), key, MM_VALUE_INT, def, min, max, nullptr, 0, 0, help};
}
constexpr mm_key_decl key_float(const char* key, const char* def, double min, double max, const char* help) {
  return mm_key_decl{sizeof(mm_key_decl), key, MM_VALUE_FLOAT, def, min, max, nullptr, 0, 0, help};
}
constexpr mm_key_decl key_bool(const char* key, const char* def, const char* help) {
  return mm_key_decl{sizeof(mm_key_decl), key, MM_VALUE_BOOL, def, 1, 0, nullptr, 0, 0, help};
}
constexpr mm_key_decl key_string(const char* key, const char* def, const char* allowed, const char* help) {
  return mm_key_decl{sizeof(mm_key_decl), key, MM_VALUE_STRING, def, 1, 0, allowed, 0, 0, help};
}
constexpr mm_key_decl key_ints(const char* key, const char* def, double min, double max, uint32_t min_count,
                               uint32_t max_count, const char* help) {
  return mm_key_decl{sizeof(mm_key_decl), key, MM_VALUE_INT_ARRAY, def, min, max, nullptr, min_count, max_count, help};
}

namespace detail {
template <class T, std::size_t N, std::size_t... I>
constexpr std::array<const T*, N> pointers_to(const T (&items)[N], std::index_sequence<I...>) {
  return {{&items[I]...}};
}
template <class T, std::size_t N>
constexpr std::array<const T*, N> pointers_to(const T (&items)[N]) {
  return pointers_to(items, std::make_index_sequence<N>{});
}
}  // namespace detail

// ------------------------------------------------------------------------------------------------------
// Model plugins
//
// A model plugin is a struct P with:
//   static constexpr const char* kName, kVersion, kDescription;
//   static constexpr mm_key_decl kKeys[] = {...};              // the workload keys it accepts
//   static mm_plan plan(const modelmeter::Config&);            // token counts etc. from the resolved config
//   static modelmeter::LayerPtr build(const modelmeter::StageContext&);  // empty LayerPtr: no such stage
// and optionally (ABI 1.3)
//   static constexpr uint32_t kTasks = MM_TASK_BIT(MM_TASK_GENERATE) | MM_TASK_BIT(MM_TASK_FORWARD) | ...;
//   static constexpr uint32_t kParallel = MM_PARALLEL_TP | ...;  // the sharding its layers implement
// (absent: generation only, no sharding), and is registered, together with every layer class it defines, with
//   MODELMETER_MODEL_PLUGIN(P, LayerA, LayerB, ...)

namespace detail {

template <class P, class = void>
struct tasks_of {
  static constexpr uint32_t value = 0;
};
template <class P>
struct tasks_of<P, std::void_t<decltype(P::kTasks)>> {
  static constexpr uint32_t value = P::kTasks;
};
template <class P, class = void>
struct parallel_of {
  static constexpr uint32_t value = 0;
};
template <class P>
struct parallel_of<P, std::void_t<decltype(P::kParallel)>> {
  static constexpr uint32_t value = P::kParallel;
};

template <class P>
mm_status tr_plan(const mm_config* config, mm_plan* out, mm_error* err) noexcept {
  return guarded(err, "plan", [&] {
    mm_plan p = P::plan(Config(config));
    p.struct_size = sizeof(mm_plan);
    *out = p;
  });
}

// The host names the plugin and the stage; the message names the layer class whose constructor threw, if any.
template <class P>
mm_status tr_build_stage(const mm_stage_context* ctx, mm_layer** out_root, mm_error* err) noexcept {
  bool absent = false;
  failed_constructor() = FailedConstructor{};
  const auto where = [] {
    const FailedConstructor& f = failed_constructor();
    if (f.class_name == nullptr || f.exception != std::current_exception()) return std::string();
    return "layer class '" + std::string(f.class_name) + "' (constructor)";
  };
  const mm_status s = guarded_at(err, where, [&] {
    if (ctx == nullptr || out_root == nullptr) throw InvalidArgument("null argument");
    LayerPtr root = P::build(StageContext(*ctx));
    absent = !root;
    *out_root = root.release();
  });
  failed_constructor() = FailedConstructor{};  // let go of the exception
  if (s == MM_OK && absent) {
    set_error(err, MM_ERR_NOT_FOUND, "the plugin has no such stage for this workload");
    return MM_ERR_NOT_FOUND;
  }
  return s;
}

inline mm_status negotiate(mm_negotiation* n, const mm_plugin_info* info, mm_error* err) noexcept {
  if (n == nullptr) return MM_ERR_INVALID_ARGUMENT;
  n->plugin_abi_version = MM_ABI_VERSION;
  n->info = nullptr;
  if (MM_ABI_MAJOR_OF(n->host_abi_version) != MM_ABI_VERSION_MAJOR || n->host_abi_version < MM_ABI_VERSION) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "plugin needs ABI %u.%u, host speaks %u.%u",
                  static_cast<unsigned>(MM_ABI_VERSION_MAJOR), static_cast<unsigned>(MM_ABI_VERSION_MINOR),
                  static_cast<unsigned>(MM_ABI_MAJOR_OF(n->host_abi_version)),
                  static_cast<unsigned>(MM_ABI_MINOR_OF(n->host_abi_version)));
    set_error(err, MM_ERR_VERSION, buf);
    return MM_ERR_VERSION;
  }
  host_slot() = n->host;
  n->info = info;
  return MM_OK;
}

}  // namespace detail

#define MODELMETER_DETAIL_CLASS_PTR(T) &::modelmeter::class_table<T>

// Defines the plugin's single exported entry symbol. Layer classes are listed for `list layers` and docs.
#define MODELMETER_MODEL_PLUGIN(PluginType, ...)                                                       \
  namespace modelmeter_plugin_detail {                                                                 \
  inline constexpr auto kKeyPointers = ::modelmeter::detail::pointers_to(PluginType::kKeys);           \
  template <class... L>                                                                                \
  inline constexpr std::array<const mm_layer_class*, sizeof...(L)> kClassPointers = {                  \
      {&::modelmeter::class_table<L>...}};                                                             \
  inline constexpr const auto& kClasses = kClassPointers<__VA_ARGS__>;                                 \
  inline constexpr mm_plugin_info kInfo = {sizeof(mm_plugin_info),                                     \
                                           MM_ABI_VERSION,                                             \
                                           MM_PLUGIN_MODEL,                                            \
                                           PluginType::kName,                                          \
                                           PluginType::kVersion,                                       \
                                           PluginType::kDescription,                                   \
                                           kClasses.size(),                                            \
                                           kClasses.data(),                                            \
                                           kKeyPointers.size(),                                        \
                                           kKeyPointers.data(),                                        \
                                           &::modelmeter::detail::tr_plan<PluginType>,                 \
                                           &::modelmeter::detail::tr_build_stage<PluginType>,          \
                                           nullptr,                                                    \
                                           nullptr,                                                    \
                                           ::modelmeter::detail::parallel_of<PluginType>::value,       \
                                           ::modelmeter::detail::tasks_of<PluginType>::value};         \
  }                                                                                                    \
  extern "C" MM_EXPORT mm_status modelmeter_plugin_entry(mm_negotiation* negotiation, mm_error* err) { \
    return ::modelmeter::detail::negotiate(negotiation, &modelmeter_plugin_detail::kInfo, err);        \
  }

// ------------------------------------------------------------------------------------------------------
// Writer plugins

// Read-only view of a report document node.
class Doc {
 public:
  Doc() = default;
  explicit Doc(const mm_doc* d) : d_(d) {}

  bool valid() const noexcept { return d_ != nullptr; }
  mm_doc_type type() const noexcept { return d_ == nullptr ? MM_DOC_NULL : d_->type; }
  bool is_null() const noexcept { return type() == MM_DOC_NULL; }
  std::size_t size() const noexcept { return (type() == MM_DOC_ARRAY || type() == MM_DOC_OBJECT) ? d_->size : 0; }
  Doc at(std::size_t i) const { return i < size() ? Doc(d_->items[i]) : Doc(); }
  std::string_view key(std::size_t i) const { return type() == MM_DOC_OBJECT && i < size() ? d_->keys[i] : ""; }
  // Member lookup; an absent member is an invalid Doc (type NULL).
  Doc operator[](std::string_view k) const {
    if (type() != MM_DOC_OBJECT) return Doc();
    for (std::size_t i = 0; i < d_->size; ++i)
      if (k == d_->keys[i]) return Doc(d_->items[i]);
    return Doc();
  }
  // Dotted path lookup: doc.path("summary.stages.prefill.time_s").
  Doc path(std::string_view dotted) const {
    Doc cur = *this;
    while (!dotted.empty()) {
      const std::size_t dot = dotted.find('.');
      cur = cur[dotted.substr(0, dot)];
      if (dot == std::string_view::npos) break;
      dotted.remove_prefix(dot + 1);
    }
    return cur;
  }
  bool as_bool() const noexcept { return type() == MM_DOC_BOOL && d_->boolean != 0; }
  int64_t as_int() const noexcept {
    return type() == MM_DOC_INT ? d_->integer : type() == MM_DOC_NUMBER ? static_cast<int64_t>(d_->number) : 0;
  }
  double as_number() const noexcept {
    return type() == MM_DOC_NUMBER ? d_->number
           : type() == MM_DOC_INT  ? static_cast<double>(d_->integer)
                                   : std::nan("");
  }
  std::string_view as_string() const noexcept {
    return type() == MM_DOC_STRING && d_->string != nullptr ? d_->string : "";
  }
  const mm_doc* raw() const noexcept { return d_; }

 private:
  const mm_doc* d_ = nullptr;
};

class Output {
 public:
  explicit Output(mm_output* o) : out_(o) {}
  void emit(const std::string& relative_path, std::string_view data) const {
    mm_error err{};
    detail::check(detail::host().emit_file(out_, relative_path.c_str(), data.data(), data.size(), &err), err);
  }

 private:
  mm_output* out_;
};

// A writer plugin is a struct W with:
//   static constexpr const char* kName, kVersion, kDescription, kFormat;
//   static void write(const modelmeter::Doc& report, const modelmeter::Output& out);
namespace detail {
template <class W>
mm_status tr_write(const mm_doc* report, mm_output* output, mm_error* err) noexcept {
  return guarded(err, W::kName, [&] { W::write(Doc(report), Output(output)); });
}
}  // namespace detail

#define MODELMETER_WRITER_PLUGIN(WriterType)                                                           \
  namespace modelmeter_plugin_detail {                                                                 \
  inline constexpr mm_plugin_info kInfo = {sizeof(mm_plugin_info),                                     \
                                           MM_ABI_VERSION,                                             \
                                           MM_PLUGIN_WRITER,                                           \
                                           WriterType::kName,                                          \
                                           WriterType::kVersion,                                       \
                                           WriterType::kDescription,                                   \
                                           0,                                                          \
                                           nullptr,                                                    \
                                           0,                                                          \
                                           nullptr,                                                    \
                                           nullptr,                                                    \
                                           nullptr,                                                    \
                                           WriterType::kFormat,                                        \
                                           &::modelmeter::detail::tr_write<WriterType>,                \
                                           0,                                                          \
                                           0};                                                         \
  }                                                                                                    \
  extern "C" MM_EXPORT mm_status modelmeter_plugin_entry(mm_negotiation* negotiation, mm_error* err) { \
    return ::modelmeter::detail::negotiate(negotiation, &modelmeter_plugin_detail::kInfo, err);        \
  }

}  // namespace modelmeter

#endif  // MODELMETER_SDK_HPP
