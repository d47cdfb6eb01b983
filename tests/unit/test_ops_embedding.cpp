// core's Embedding op (core/src/ops/embedding.cpp): hand-derived, scaling, validation.
// Formulas: docs/metrics.md.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec embedding(double tokens, uint64_t vocab, uint64_t dim) {
  mm_op_spec s = mmtest::spec(MM_OP_EMBEDDING, tokens);
  s.vocab = vocab;
  s.features = dim;
  return s;
}

}  // namespace

TEST_CASE("Embedding: T=3 V=10 D=4, bf16 — hand-derived") {
  const Context c;
  const Op op(c, embedding(3, 10, 4));
  CHECK(op.cls().name == std::string("Embedding"));
  CHECK(op.cls().category == MM_CATEGORY_EMBEDDING);
  CHECK(op.shapes() == "tokens=3 vocab=10 features=4");
  // P = V·D = 40; touched rows T·D = 12 elements; ids 4·3 = 12 bytes.
  const auto f = op.forward();
  CHECK(f.tc_flops == 0);  // a table lookup: no arithmetic
  CHECK(f.cuda_flops == 0);
  CHECK(f.io_bytes == 60);      // rows 2·12 = 24, ids 12, y 2·12 = 24
  CHECK(f.weight_bytes == 80);  // 2·40: the whole table
  CHECK(f.parameters == 40);
  CHECK(f.activation_bytes == 24);  // y
  CHECK(f.kv_cache_bytes == 0);
  CHECK(f.live_bytes == 36);  // ids 12 + y 24
  const auto b = op.backward();
  CHECK(b.tc_flops == 0);
  CHECK(b.cuda_flops == 12);    // scatter-add: T·D
  CHECK(b.io_bytes == 84);      // dY 24, ids 12, touched rows of dE read + written 2·2·12 = 48
  CHECK(b.weight_bytes == 80);  // gradient of the whole table
  CHECK(b.parameters == 40);
  CHECK(b.activation_bytes == 0);  // integer ids: no input gradient
  CHECK(b.live_bytes == 36);       // dY 24 + ids 12
}

TEST_CASE("Embedding: int8 table with fp32 activations — traffic follows tokens, not the vocabulary") {
  const Context c(1, 4, 4);
  const auto f = Op(c, embedding(3, 10, 4)).forward();
  CHECK(f.io_bytes == 72);      // rows 1·12, ids 12, y 4·12 = 48
  CHECK(f.weight_bytes == 40);  // 1·40
  const auto small = Op(c, embedding(3, 1000, 4)).forward();
  CHECK(small.io_bytes == f.io_bytes);
  CHECK(small.weight_bytes == 100 * f.weight_bytes);
  const auto twice = Op(c, embedding(6, 10, 4)).forward();
  CHECK(twice.io_bytes == 2 * f.io_bytes);
}

TEST_CASE("Embedding: invalid specs") {
  const Context c;
  mmtest::check_refused(c, embedding(3, 0, 4), "vocab");
  mmtest::check_refused(c, embedding(3, 10, 0), "features");
  mmtest::check_refused(c, embedding(0, 10, 4), "tokens");
}
