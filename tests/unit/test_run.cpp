// The evaluation engine (core/src/run.cpp): host-side sums of children × repeat + own glue, live bytes as a
// peak, NaN / negative metrics rejected, and the exact decode roofline across a bound crossover.
#include <doctest/doctest.h>

#include <cmath>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/ops.hpp>
#include <modelmeter/core/plugin.hpp>
#include <modelmeter/core/run.hpp>
#include <modelmeter/sdk.hpp>

using namespace modelmeter;
using core::ModuleNode;

namespace {

mm_precision bf16() {
  mm_precision p{};
  p.struct_size = sizeof p;
  p.weights = p.activations = p.kv_cache = MM_DTYPE_BF16;
  p.weight_bytes = p.activation_bytes = p.kv_cache_bytes = 2;
  return p;
}

// A composite test layer: `linear` repeated `repeat` times plus glue with fixed own metrics.
class Glued final : public BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(Glued, MM_CATEGORY_COMPOSITE, "test composite")
  Glued(const StageContext& ctx, double repeat, double glue_tc) : glue_tc_(glue_tc) {
    add_child("proj", ops::linear(ctx, 4, 3, 5, true), repeat);
  }
  Metrics own(Pass) const override {
    Metrics m;
    m.tc_flops = glue_tc_;
    m.cuda_flops = 7;
    m.io_bytes = 11;
    m.live_bytes = 1;  // smaller than the Linear's: the peak must stay the Linear's
    return m;
  }

 private:
  double glue_tc_;
};

struct Fixture {
  mm_precision prec = bf16();
  mm_stage_context ctx{};
  Fixture() {
    detail::host_slot() = core::host_api();  // ops::* reach core through the host services table
    ctx.struct_size = sizeof ctx;
    ctx.stage = MM_STAGE_PREFILL;
    ctx.precision = &prec;
    ctx.batch = 1;
    ctx.query_tokens = 4;
    ctx.kv_len = 4;
    ctx.steps = 1;
    ctx.attention = MM_ATTENTION_FLASH;
  }
};

const core::RooflineRates kRates{1e12, 1e11, 1e10};

}  // namespace

TEST_CASE("a composite's metrics are its children × repeat plus its own glue — live bytes is a peak") {
  Fixture f;
  const StageContext ctx(f.ctx);
  LayerPtr root = make_layer<Glued>(ctx, 3.0, 10.0);
  const ModuleNode n = core::evaluate_layer(root.get(), "test", kRates, 0, 1, nullptr);
  REQUIRE(n.children.size() == 1);
  const ModuleNode& lin = n.children[0];
  CHECK(lin.class_name == "Linear");
  CHECK(lin.id == "model.proj");
  CHECK(lin.repeat == 3);
  // Linear 4×3→5 with bias: TC = 2·4·3·5 = 120, parameters 3·5 + 5 = 20.
  CHECK(*lin.forward[MM_METRIC_TC_FLOPS] == 120);
  CHECK(*n.forward[MM_METRIC_TC_FLOPS] == 3 * 120 + 10);
  CHECK(*n.forward[MM_METRIC_PARAMETERS] == 3 * 20);
  CHECK(*n.forward[MM_METRIC_CUDA_FLOPS] == 3 * *lin.forward[MM_METRIC_CUDA_FLOPS] + 7);
  CHECK(*n.forward[MM_METRIC_IO_BYTES] == 3 * *lin.forward[MM_METRIC_IO_BYTES] + 11);
  CHECK(*n.forward[MM_METRIC_LIVE_BYTES] == *lin.forward[MM_METRIC_LIVE_BYTES]);
  // The node's time is its own ops' plus the children's × repeat.
  const double own = std::max((10.0 / 1e12) + 7.0 / 1e11, 11.0 / 1e10);
  CHECK(n.time.time_s == doctest::Approx(own + 3 * lin.time.time_s));
}

TEST_CASE("decode roofline: the exact sum over steps across a compute/memory crossover") {
  Fixture f;
  f.ctx.stage = MM_STAGE_DECODE;
  f.ctx.query_tokens = 1;
  f.ctx.kv_len = 16;
  const StageContext ctx(f.ctx);
  ops::AttentionShape a;
  a.batch = 4;
  a.heads = 8;
  a.kv_heads = 1;
  a.head_dim = 64;
  a.query_len = 1;
  a.kv_len = 16;
  a.causal = true;
  a.grows_per_step = true;
  a.writes_kv_cache = true;
  LayerPtr attn = ops::attention(ctx, a);
  const uint64_t steps = 200;
  // Pick a machine balance between the op's intensity at the first and at the last step.
  const auto intensity = [&](uint64_t s) {
    const ModuleNode one = core::evaluate_layer(attn.get(), "t", kRates, s, 1, nullptr);
    return (*one.forward[MM_METRIC_TC_FLOPS] + *one.forward[MM_METRIC_CUDA_FLOPS]) / *one.forward[MM_METRIC_IO_BYTES];
  };
  const double i0 = intensity(0), i1 = intensity(steps - 1);
  REQUIRE(i0 != doctest::Approx(i1));
  const core::RooflineRates rates{1e12, 1e12, 1e12 / ((i0 + i1) / 2)};
  const ModuleNode whole = core::evaluate_layer(attn.get(), "t", rates, 0, steps, nullptr);
  double loop = 0, loop_compute = 0, loop_tc = 0;
  for (uint64_t s = 0; s < steps; ++s) {
    const ModuleNode one = core::evaluate_layer(attn.get(), "t", rates, s, 1, nullptr);
    loop += one.time.time_s;
    loop_compute += one.time.compute_bound_s;
    loop_tc += *one.forward[MM_METRIC_TC_FLOPS];
  }
  CHECK(*whole.forward[MM_METRIC_TC_FLOPS] == loop_tc);
  CHECK(whole.time.time_s == doctest::Approx(loop).epsilon(1e-12));
  CHECK(whole.time.compute_bound_s == doctest::Approx(loop_compute).epsilon(1e-12));
  CHECK(whole.time.compute_bound_s > 0);  // both sides of the crossover are present
  CHECK(whole.time.compute_bound_s < whole.time.time_s);
}

namespace {
class NaNLayer final : public BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(NaNLayer, MM_CATEGORY_MATMUL, "returns NaN")
  Metrics own(Pass) const override {
    Metrics m;
    m.io_bytes = std::nan("");
    return m;
  }
};
class NegativeLayer final : public BaseLayer {
 public:
  MODELMETER_LAYER_CLASS(NegativeLayer, MM_CATEGORY_MATMUL, "returns a negative")
  Metrics own(Pass) const override {
    Metrics m;
    m.tc_flops = -1;
    return m;
  }
};
}  // namespace

TEST_CASE("NaN and negative metrics are rejected naming plugin, layer and metric") {
  LayerPtr nan_layer = make_layer<NaNLayer>();
  CHECK_THROWS_WITH_AS(
      core::evaluate_layer(nan_layer.get(), "p", kRates, 0, 1, nullptr),
      doctest::Contains("plugin 'p' layer 'model' (NaNLayer): metrics (forward) failed: metric io_bytes"),
      core::PluginFailure);
  LayerPtr neg = make_layer<NegativeLayer>();
  CHECK_THROWS_WITH_AS(core::evaluate_layer(neg.get(), "p", kRates, 0, 1, nullptr),
                       doctest::Contains("metric tc_flops is -1"), core::PluginFailure);
}
