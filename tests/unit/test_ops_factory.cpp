// core's op factory (core/src/ops/op_factory.cpp): the class list, unknown kinds, malformed arguments and
// size-prefixed structs, and what every op's class table promises.
#include <cstddef>
#include <cstring>
#include <string>

#include "op_test_support.hpp"

using mmtest::Context;

TEST_CASE("op_classes lists every generic op in mm_op_kind order, each with a formula page") {
  const auto classes = modelmeter::core::op_classes();
  REQUIRE(classes.size() == MM_OP_COUNT);
  const char* const names[MM_OP_COUNT] = {"Linear",
                                          "Conv2d",
                                          "LayerNorm",
                                          "RMSNorm",
                                          "GELU",
                                          "SiLU",
                                          "Embedding",
                                          "Add",
                                          "Mul",
                                          "Softmax",
                                          "ScaledDotProductAttention",
                                          "AllReduce",
                                          "AllGather",
                                          "ReduceScatter",
                                          "AllToAll",
                                          "SendRecv"};
  for (std::size_t i = 0; i < classes.size(); ++i) {
    CAPTURE(i);
    const mm_layer_class& cls = *classes[i];
    CHECK(cls.name == std::string(names[i]));
    CHECK(cls.struct_size == sizeof(mm_layer_class));
    CHECK(cls.abi_version == MM_ABI_VERSION);
    const std::string doc = cls.doc;
    CHECK(doc.rfind(std::string("# ") + names[i] + "\n", 0) == 0);  // a title naming the class
    CHECK(doc.find("## Forward") != std::string::npos);
    CHECK(doc.find("## Backward") != std::string::npos);
    CHECK(doc.find("Conventions: see docs/metrics.md.") != std::string::npos);
    CHECK((cls.metrics != nullptr && cls.shapes != nullptr && cls.destroy != nullptr));
  }
}

TEST_CASE("create_op: the created layer uses the class table op_classes lists, and has no children") {
  const Context c;
  mm_op_spec s = mmtest::spec(MM_OP_SILU, 4);
  s.features = 8;
  mm_layer* layer = nullptr;
  mm_error err{};
  REQUIRE(modelmeter::core::create_op(&c.ctx, &s, &layer, &err) == MM_OK);
  CHECK(layer->cls == modelmeter::core::op_classes()[MM_OP_SILU]);
  uint32_t children = 99;
  CHECK(layer->cls->child_count(layer, &children, &err) == MM_OK);
  CHECK(children == 0);
  layer->cls->destroy(layer);
}

TEST_CASE("create_op: unknown kinds and malformed arguments are refused, never thrown") {
  const Context c;
  mm_op_spec s = mmtest::spec(static_cast<mm_op_kind>(42), 4);
  mm_layer* layer = reinterpret_cast<mm_layer*>(&s);  // must be reset to null on failure
  mm_error err{};
  CHECK(modelmeter::core::create_op(&c.ctx, &s, &layer, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(layer == nullptr);
  CHECK(std::string(err.message) == "create_op: unknown op kind 42");
  s.kind = -1;
  CHECK(mmtest::try_create(c, s).message == "create_op: unknown op kind -1");

  mm_op_spec ok = mmtest::spec(MM_OP_ADD, 4);
  ok.features = 8;
  CHECK(modelmeter::core::create_op(nullptr, &ok, &layer, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(modelmeter::core::create_op(&c.ctx, nullptr, &layer, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(modelmeter::core::create_op(&c.ctx, &ok, nullptr, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("null") != std::string::npos);

  mm_stage_context no_precision = c.ctx;
  no_precision.precision = nullptr;
  CHECK(modelmeter::core::create_op(&no_precision, &ok, &layer, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("precision") != std::string::npos);

  const Context no_activation_bytes(2, 0, 2);
  mmtest::check_refused(no_activation_bytes, ok, "activation_bytes");
}

TEST_CASE("create_op: size-prefixed structs — a short spec reads missing fields as 0, a longer one is fine") {
  const Context c;
  mm_op_spec s = mmtest::spec(MM_OP_ADD, 4);
  s.features = 8;
  s.struct_size = 0;
  mmtest::check_refused(c, s, "struct_size");
  // A writer that predates `features` (it ends before the field): features reads as 0 and is refused.
  s.struct_size = static_cast<uint32_t>(offsetof(mm_op_spec, features));
  mmtest::check_refused(c, s, "features");
  // A writer from a newer ABI with a larger struct: the known prefix is used.
  struct Longer {
    mm_op_spec spec;
    double future_field;
  } longer{};
  longer.spec = mmtest::spec(MM_OP_ADD, 4);
  longer.spec.features = 8;
  longer.spec.struct_size = sizeof longer;
  longer.future_field = 1;
  CHECK(mmtest::try_create(c, longer.spec).status == MM_OK);

  mm_stage_context short_ctx = c.ctx;
  short_ctx.struct_size = 4;
  mm_layer* layer = nullptr;
  mm_error err{};
  CHECK(modelmeter::core::create_op(&short_ctx, &longer.spec, &layer, &err) == MM_ERR_INVALID_ARGUMENT);
  CHECK(std::string(err.message).find("stage context struct_size") != std::string::npos);
}

TEST_CASE("a created op gives the same numbers on every call — zero steps are refused — a 1.0 host gets 7") {
  const Context c;
  mm_op_spec s = mmtest::spec(MM_OP_LINEAR, 4);
  s.in_features = 3;
  s.out_features = 5;
  const mmtest::Op op(c, s);
  const auto a = op.forward();
  const auto b = op.backward();
  const auto again = op.forward();
  CHECK(std::memcmp(&a, &again, sizeof a) == 0);
  CHECK(b.tc_flops == 2 * a.tc_flops);
  mm_eval zero{sizeof(mm_eval), MM_PASS_FORWARD, 0, 0};
  double out[MM_METRIC_COUNT];
  uint32_t filled = 0;
  mm_error err{};
  mm_layer* layer = nullptr;
  REQUIRE(modelmeter::core::create_op(&c.ctx, &s, &layer, &err) == MM_OK);
  CHECK(layer->cls->metrics(layer, &zero, out, MM_METRIC_COUNT, &filled, &err) == MM_ERR_INVALID_ARGUMENT);
  // A 1.0 host asks for 7 metrics: live bytes is left out.
  const mm_eval one{sizeof(mm_eval), MM_PASS_FORWARD, 0, 1};
  CHECK(layer->cls->metrics(layer, &one, out, MM_METRIC_COUNT_1_0, &filled, &err) == MM_OK);
  CHECK(filled == MM_METRIC_COUNT_1_0);
  layer->cls->destroy(layer);
}
