// core's ScaledDotProductAttention op (core/src/ops/scaled_dot_product_attention.cpp): hand-derived flash and eager
// values, causal entry counts, scaling, GQA, the KV cache, exact decode step ranges, validation. Formulas:
// docs/metrics.md.
#include <vector>

#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

struct Shape {
  uint64_t batch = 1, heads = 2, kv_heads = 0, head_dim = 4, v_head_dim = 0, query_len = 3, kv_len = 3;
  bool causal = false, grows = false, cache = false;
  mm_attention_impl impl = MM_ATTENTION_FLASH;
};

mm_op_spec attention(const Shape& a) {
  mm_op_spec s = mmtest::spec(MM_OP_ATTENTION, static_cast<double>(a.batch * a.query_len));
  s.batch = a.batch;
  s.heads = a.heads;
  s.kv_heads = a.kv_heads;
  s.head_dim = a.head_dim;
  s.v_head_dim = a.v_head_dim;
  s.query_len = a.query_len;
  s.kv_len = a.kv_len;
  s.causal = a.causal ? 1 : 0;
  s.grows_per_step = a.grows ? 1 : 0;
  s.writes_kv_cache = a.cache ? 1 : 0;
  s.impl = a.impl;
  return s;
}

// The decode shape of several tests: B=2, H=4 query heads sharing Hk=1 KV head (MQA), dq=dv=8, one query,
// context 5 at step 0 growing by one per step, causal flash with a KV cache.
Shape decode_shape() {
  Shape a;
  a.batch = 2;
  a.heads = 4;
  a.kv_heads = 1;
  a.head_dim = 8;
  a.query_len = 1;
  a.kv_len = 5;
  a.causal = true;
  a.grows = true;
  a.cache = true;
  return a;
}

}  // namespace

TEST_CASE("Attention flash, non-causal: B=1 H=2 d=4 q=K=3, bf16 — hand-derived") {
  const Context c;
  const Op op(c, attention(Shape{}));
  CHECK(op.cls().name == std::string("ScaledDotProductAttention"));
  CHECK(op.cls().category == MM_CATEGORY_ATTENTION);
  CHECK(op.shapes() ==
        "batch=1 heads=2 kv_heads=2 head_dim=4 v_head_dim=4 query_len=3 kv_len=3 causal=no impl=flash kv_cache=no");
  // E = q·K = 9 entries per head, B·H·E = 18. Q = O = B·q·H·d = 24 elements; K and V: B·Hk·K·(dq+dv) = 48.
  const auto f = op.forward();
  CHECK(f.tc_flops == 288);    // 2·B·H·E·(dq + dv) = 2·18·8
  CHECK(f.cuda_flops == 108);  // 6·18: scale, max, subtract, exp, sum, divide
  CHECK(f.io_bytes == 192);    // read Q 2·24 = 48, K,V 2·48 = 96, write O 48
  CHECK(f.weight_bytes == 0);
  CHECK(f.parameters == 0);
  CHECK(f.activation_bytes == 48);  // O
  CHECK(f.kv_cache_bytes == 0);     // no cache
  CHECK(f.live_bytes == 192);       // Q, K, V, O: 2·(24 + 48 + 24)
  const auto b = op.backward();
  CHECK(b.tc_flops == 720);  // B·H·E·(6·dq + 4·dv) = 18·40: 2.5× forward (dq = dv)
  CHECK(b.tc_flops == 2.5 * f.tc_flops);
  CHECK(b.cuda_flops == 156);        // 6·18 + rowsum(dO ⊙ O) 2·24
  CHECK(b.io_bytes == 384);          // read Q 48, K,V 96, dO 48, O 48; write dQ 48, dK,dV 96
  CHECK(b.activation_bytes == 144);  // dQ 48 + dK,dV 96
  CHECK(b.kv_cache_bytes == 0);
  CHECK(b.live_bytes == 384);  // Q 48, K,V 96, dO 48, O 48, dQ 48, dK,dV 96
}

TEST_CASE("Attention eager, non-causal: same shape — scores materialised") {
  const Context c;
  Shape a;
  a.impl = MM_ATTENTION_EAGER;
  const Op op(c, attention(a));
  const auto f = op.forward();
  CHECK(f.tc_flops == 288);  // same math as flash
  CHECK(f.cuda_flops == 108);
  CHECK(f.io_bytes == 336);         // 192 + S and P written and read: 4·2·18 = 144
  CHECK(f.activation_bytes == 84);  // O 48 + P 2·18 = 36
  CHECK(f.live_bytes == 264);       // 192 + S and P: 2·2·18 = 72
  const auto b = op.backward();
  CHECK(b.tc_flops == 576);   // 4 matmuls: 4·18·8 = 2× forward
  CHECK(b.cuda_flops == 90);  // 5·18
  CHECK(b.io_bytes == 516);   // Q 48, K,V 96, dO 48, P/dP/dS 5·2·18 = 180, dQ 48, dK,dV 96
  CHECK(b.activation_bytes == 144);
  CHECK(b.live_bytes == 444);  // Q 48, K,V 96, dO 48, dQ 48, dK,dV 96, P/dP/dS 3·36 = 108
}

TEST_CASE("Attention: v_head_dim ≠ head_dim") {
  const Context c;
  Shape a;
  a.heads = 1;
  a.head_dim = 8;
  a.v_head_dim = 4;
  a.query_len = a.kv_len = 2;
  // E = 4 entries.
  const auto flash = Op(c, attention(a));
  CHECK(flash.forward().tc_flops == 96);    // 2·4·(8 + 4)
  CHECK(flash.backward().tc_flops == 256);  // 4·(6·8 + 4·4): QKᵀ recomputed (2·dq), dV, dP, dQ, dK
  a.impl = MM_ATTENTION_EAGER;
  CHECK(Op(c, attention(a)).backward().tc_flops == 192);  // 4·4·12
}

TEST_CASE("Attention causal: flash counts S(S+1)/2 score entries, eager the full S×S matrix") {
  const Context c;
  Shape a;
  a.heads = 1;
  a.head_dim = 4;
  a.causal = true;
  for (const uint64_t s : {1u, 3u, 8u, 100u}) {
    CAPTURE(s);
    a.query_len = a.kv_len = s;
    a.impl = MM_ATTENTION_FLASH;
    const double triangle = s * (s + 1) / 2.0;
    CHECK(Op(c, attention(a)).forward().tc_flops == 2 * triangle * 8);  // 2·E·(dq + dv)
    CHECK(Op(c, attention(a)).forward().cuda_flops == 6 * triangle);
    a.impl = MM_ATTENTION_EAGER;
    CHECK(Op(c, attention(a)).forward().tc_flops == 2.0 * s * s * 8);  // masked, but computed
  }
  // A chunk of q = 2 new queries over a context of K = 5: 2·3 earlier keys + the 2·3/2 = 3 triangle entries.
  a.query_len = 2;
  a.kv_len = 5;
  a.impl = MM_ATTENTION_FLASH;
  CHECK(Op(c, attention(a)).forward().tc_flops == 2 * 9 * 8);
}

TEST_CASE("Attention: scaling laws") {
  const Context c;
  Shape a;
  a.heads = 4;
  a.head_dim = 16;
  a.query_len = 32;
  a.kv_len = 48;
  const auto base = Op(c, attention(a)).forward();
  SUBCASE("non-causal: query and key length both ×2 → score and context FLOPs ×4") {
    Shape d = a;
    d.query_len *= 2;
    d.kv_len *= 2;
    const auto doubled = Op(c, attention(d)).forward();
    CHECK(doubled.tc_flops == 4 * base.tc_flops);
    CHECK(doubled.cuda_flops == 4 * base.cuda_flops);
  }
  SUBCASE("batch ×2 → everything ×2") {
    Shape d = a;
    d.batch = 2;
    const auto doubled = Op(c, attention(d)).forward();
    CHECK(doubled.tc_flops == 2 * base.tc_flops);
    CHECK(doubled.io_bytes == 2 * base.io_bytes);
    CHECK(doubled.live_bytes == 2 * base.live_bytes);
  }
  SUBCASE("eager moves at least as many bytes as flash, both passes, causal or not") {
    for (const bool causal : {false, true}) {
      for (const uint64_t q : {1u, 16u, 48u}) {
        CAPTURE(causal);
        CAPTURE(q);
        Shape d = a;
        d.causal = causal;
        d.query_len = q;
        d.impl = MM_ATTENTION_EAGER;
        const Op eager(c, attention(d));
        d.impl = MM_ATTENTION_FLASH;
        const Op flash(c, attention(d));
        CHECK(eager.forward().io_bytes >= flash.forward().io_bytes);
        CHECK(eager.backward().io_bytes >= flash.backward().io_bytes);
        CHECK(eager.forward().tc_flops >= flash.forward().tc_flops);
      }
    }
  }
}

TEST_CASE("Attention decode with a KV cache: hand-derived step 0, mixed precision") {
  const Context c;
  const Op op(c, attention(decode_shape()));
  CHECK(op.shapes() ==
        "batch=2 heads=4 kv_heads=1 head_dim=8 v_head_dim=8 query_len=1 kv_len=5+step causal=yes impl=flash "
        "kv_cache=yes");
  // K = 5; E = 1·(5 − 1) + 1 = 5; B·H·E = 40. Q = O = 2·1·4·8 = 64 elements; cache K/V 2·1·5·16 = 160;
  // the new position's K/V 2·1·1·16 = 32.
  const auto f = op.forward();
  CHECK(f.tc_flops == 1280);         // 2·40·16
  CHECK(f.cuda_flops == 240);        // 6·40
  CHECK(f.io_bytes == 640);          // Q 128, K/V from the cache 320, O 128, append the new K/V 64
  CHECK(f.kv_cache_bytes == 320);    // 2·160
  CHECK(f.activation_bytes == 128);  // O
  CHECK(f.live_bytes == 320);        // Q 128 + the new K/V 64 + O 128 (the cache is counted as KV bytes)
  CHECK(op.backward().kv_cache_bytes == 0);

  const Context fp8_cache(2, 2, 1);
  const auto m = Op(fp8_cache, attention(decode_shape())).forward();
  CHECK(m.io_bytes == 448);  // Q 128, K/V 1·160, O 128, new K/V 1·32
  CHECK(m.kv_cache_bytes == 160);
  CHECK(m.tc_flops == 1280);
}

TEST_CASE("Attention decode: a step range equals the sum of its single steps (N = 1, 7, 100)") {
  const Context c;
  for (const mm_attention_impl impl : {MM_ATTENTION_FLASH, MM_ATTENTION_EAGER}) {
    Shape a = decode_shape();
    a.impl = impl;
    const Op op(c, attention(a));
    for (const mm_pass pass : {MM_PASS_FORWARD, MM_PASS_BACKWARD}) {
      for (const uint64_t first : {0u, 10u}) {
        for (const uint64_t n : {1u, 7u, 100u}) {
          CAPTURE(impl);
          CAPTURE(pass);
          CAPTURE(first);
          CAPTURE(n);
          double tc = 0, cuda = 0, io = 0;
          for (uint64_t s = first; s < first + n; ++s) {
            const auto one = op.metrics(pass, s, 1);
            tc += one.tc_flops;
            cuda += one.cuda_flops;
            io += one.io_bytes;
          }
          const auto range = op.metrics(pass, first, n);
          CHECK(range.tc_flops == tc);
          CHECK(range.cuda_flops == cuda);
          CHECK(range.io_bytes == io);
          const auto last = op.metrics(pass, first + n - 1, 1);  // state metrics: the last step's
          CHECK(range.kv_cache_bytes == last.kv_cache_bytes);
          CHECK(range.activation_bytes == last.activation_bytes);
          CHECK(range.live_bytes == last.live_bytes);
        }
      }
    }
  }
}

TEST_CASE("Attention decode: closed form over a long decode") {
  const Context c;
  const Op op(c, attention(decode_shape()));
  // TC at step s = 2·B·H·(dq + dv)·K = 256·(5 + s); Σ_{s<N} = 256·(5·N + N(N − 1)/2).
  const double n100 = 100;
  CHECK(op.forward(0, 100).tc_flops == 256 * (5 * n100 + n100 * (n100 - 1) / 2));  // 1,395,200
  const double n = 1e6;                                                            // one call, not a million
  CHECK(op.forward(0, 1000000).tc_flops == doctest::Approx(256 * (5 * n + n * (n - 1) / 2)));
  CHECK(op.forward(0, 1000000).kv_cache_bytes == 2 * 2 * 1 * (5 + 999999) * 16);  // at the last step
}

TEST_CASE("Attention without growth: a range is count × one step") {
  const Context c;
  Shape a;  // vision-style: non-causal, fixed context
  const Op op(c, attention(a));
  const auto one = op.forward();
  const auto five = op.forward(0, 5);
  CHECK(five.tc_flops == 5 * one.tc_flops);
  CHECK(five.io_bytes == 5 * one.io_bytes);
  CHECK(five.live_bytes == one.live_bytes);
  CHECK(op.forward(3, 1).tc_flops == one.tc_flops);
}

TEST_CASE("Attention GQA: fewer KV heads change KV bytes, not FLOPs") {
  const Context c;
  std::vector<modelmeter::Metrics> runs;
  for (const uint64_t kv_heads : {4u, 2u, 1u}) {
    Shape a = decode_shape();
    a.kv_heads = kv_heads;
    runs.push_back(Op(c, attention(a)).forward(0, 7));
  }
  for (const auto& m : runs) {
    CHECK(m.tc_flops == runs[0].tc_flops);
    CHECK(m.cuda_flops == runs[0].cuda_flops);
  }
  CHECK(runs[0].kv_cache_bytes == 4 * runs[2].kv_cache_bytes);
  CHECK(runs[1].kv_cache_bytes == 2 * runs[2].kv_cache_bytes);
  CHECK(runs[0].io_bytes > runs[1].io_bytes);
  CHECK(runs[1].io_bytes > runs[2].io_bytes);
}

TEST_CASE("Attention: invalid specs are refused naming the field") {
  const Context c;
  const auto refused = [&](auto edit, const char* field) {
    Shape a;
    edit(a);
    mmtest::check_refused(c, attention(a), field);
  };
  refused([](Shape& a) { a.batch = 0; }, "batch");
  refused([](Shape& a) { a.heads = 0; }, "heads");
  refused([](Shape& a) { a.head_dim = 0; }, "head_dim");
  refused([](Shape& a) { a.query_len = 0; }, "query_len");
  refused([](Shape& a) { a.kv_len = 0; }, "kv_len");
  refused(
      [](Shape& a) {
        a.kv_heads = 3;
        a.heads = 4;
      },
      "kv_heads");
  refused(
      [](Shape& a) {
        a.kv_heads = 8;
        a.heads = 4;
      },
      "kv_heads");
  refused(
      [](Shape& a) {
        a.causal = true;
        a.query_len = 4;
        a.kv_len = 3;
      },
      "query_len");
  refused([](Shape& a) { a.impl = 7; }, "impl");
  const mmtest::Outcome o = mmtest::try_create(c, [] {
    Shape a;
    a.causal = true;
    a.query_len = 4;
    return attention(a);
  }());
  CHECK(o.message == "ScaledDotProductAttention: query_len must be <= kv_len (3) for causal attention, got 4");
  mm_op_spec s = attention(Shape{});
  s.grows_per_step = 2;
  mmtest::check_refused(c, s, "grows_per_step");
  s = attention(Shape{});
  s.writes_kv_cache = 1;
  const Context no_kv_bytes(2, 2, 0);
  mmtest::check_refused(no_kv_bytes, s, "kv_cache_bytes");
  // Cross-attention may have more queries than keys; without a cache the KV-cache precision is not read.
  Shape cross;
  cross.query_len = 10;
  cross.kv_len = 3;
  CHECK(mmtest::try_create(no_kv_bytes, attention(cross)).status == MM_OK);
}

TEST_CASE("Attention kv_shared (MLA latent): the cache holds head_dim channels per position, FLOPs unchanged") {
  const Context c;
  Shape a = decode_shape();  // B=2, Hk=1, dq = dv = 8
  const modelmeter::Metrics separate = Op(c, attention(a)).forward(0, 1);
  mm_op_spec shared = attention(a);
  shared.kv_shared = 1;
  const modelmeter::Metrics latent = Op(c, shared).forward(0, 1);
  CHECK(latent.tc_flops == separate.tc_flops);
  // Step 0 context K = kv_len: separate K and V hold dq + dv = 16 channels, the shared latent dq = 8.
  CHECK(latent.kv_cache_bytes * 2 == separate.kv_cache_bytes);
  CHECK(latent.kv_cache_bytes == 2.0 * 2 * 1 * static_cast<double>(a.kv_len) * 8);  // bk·B·Hk·K·dq
  CHECK(latent.io_bytes < separate.io_bytes);
  mm_op_spec bad = attention(a);
  bad.kv_shared = 1;
  bad.v_head_dim = 16;  // V cannot be wider than the tensor it is part of
  mmtest::check_refused(c, bad, "v_head_dim");
}
