// The decoder's attention layers: LlamaFlashAttention2 (MHA, the checkpoint), LlamaRotaryEmbedding and
// DeepseekV2FlashAttention2 (MLA, absorbed form). Hand derivations are written next to each check;
// conventions: docs/metrics.md.
#include "decoder/deepseek_v2_flash_attention2.hpp"
#include "dsocr_test_support.hpp"
#include "llama/llama_flash_attention2.hpp"
#include "llama/llama_rotary_embedding.hpp"

using deepseek_ocr::DecoderConfig;
using deepseek_ocr::DeepseekV2FlashAttention2;
using deepseek_ocr::LlamaFlashAttention2;
using deepseek_ocr::LlamaRotaryEmbedding;
using dsocr_test::bwd;
using dsocr_test::child;
using dsocr_test::eval;
using dsocr_test::fwd;
using dsocr_test::params;
using dsocr_test::tc;
using modelmeter::make_layer;

namespace {

constexpr double kP = 913;  // std-v1's prefill length: 903 vision tokens + 10 text tokens
constexpr double kH = 1280, kHeads = 10, kD = 128;

// A small MLA configuration worked by hand: h = 64, H = 4, d_n = 16, d_r = 8, d_v = 16, c = 32.
DecoderConfig small_mla(uint64_t q_lora_rank = 0) {
  DecoderConfig c;
  c.hidden_size = 64;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 4;
  c.use_mla = true;
  c.q_lora_rank = q_lora_rank;
  c.kv_lora_rank = 32;
  c.qk_nope_head_dim = 16;
  c.qk_rope_head_dim = 8;
  c.v_head_dim = 16;
  return c;
}

// Sum of a flow metric over single-step evaluations of steps [0, n).
template <class Make>
double sum_single_steps(const Make& make, uint64_t n, mm_metric_id id) {
  double total = 0;
  for (uint64_t s = 0; s < n; ++s) total += fwd(eval(make(), s, 1), id);
  return total;
}

}  // namespace

TEST_CASE("LlamaRotaryEmbedding: T=10, Hq=Hk=10, d=128, bf16 — hand-derived") {
  const auto st = dsocr_test::prefill_stage(1, 10);
  const auto rope = make_layer<LlamaRotaryEmbedding>(st.ctx(), 10.0, 10, 10, 128);
  const auto n = eval(rope);
  CHECK(n.class_name == "LlamaRotaryEmbedding");
  CHECK(n.category == MM_CATEGORY_POSITIONAL);
  CHECK(n.shapes == "tokens=10 q_heads=10 k_heads=10 rope_dim=128");
  // R = T·(Hq+Hk)·d = 10·20·128 = 25,600 rotated elements; C = T·d = 1,280 per table.
  const double r = 25600, c = 1280;
  CHECK(fwd(n, MM_METRIC_TC_FLOPS) == 0);
  // angles C/2 = 640, cos + sin 2·C = 2,560, rotation 3·R = 76,800.
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == 640 + 2560 + 76800);
  // ids 4·10 + inv_freq 4·64 + cos/sin written 2·2·C; rotation: read R, cos, sin, write R (2 bytes each).
  CHECK(fwd(n, MM_METRIC_IO_BYTES) == 40 + 256 + 4 * c + 2 * r + 4 * c + 2 * r);
  CHECK(params(n) == 0);
  CHECK(fwd(n, MM_METRIC_WEIGHT_BYTES) == 0);
  CHECK(fwd(n, MM_METRIC_ACTIVATION_BYTES) == 2 * (r + 2 * c));
  CHECK(fwd(n, MM_METRIC_LIVE_BYTES) == 2 * (2 * r + 2 * c));
  CHECK(fwd(n, MM_METRIC_KV_CACHE_BYTES) == 0);
  // Backward: 3 FLOPs per rotated element; read dy, cos, sin; write dx.
  CHECK(bwd(n, MM_METRIC_CUDA_FLOPS) == 3 * r);
  CHECK(bwd(n, MM_METRIC_IO_BYTES) == 2 * r + 4 * c + 2 * r);
  CHECK(bwd(n, MM_METRIC_ACTIVATION_BYTES) == 2 * r);
  CHECK_THROWS(make_layer<LlamaRotaryEmbedding>(st.ctx(), 10.0, 10, 10, 127));  // odd rope_dim
}

TEST_CASE("LlamaFlashAttention2: the checkpoint's parameters and children") {
  const auto st = dsocr_test::prefill_stage(1, kP);
  const auto n = eval(make_layer<LlamaFlashAttention2>(st.ctx(), DecoderConfig{}, dsocr_test::prefill_shape(1, kP)));
  CHECK(n.class_name == "LlamaFlashAttention2");
  CHECK(n.category == MM_CATEGORY_ATTENTION);
  CHECK(params(n) == 6553600);  // 4 · 1280 · 1280, no biases
  for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"}) CHECK(params(child(n, proj)) == 1280 * 1280);
  CHECK(child(n, "rotary_emb").class_name == "LlamaRotaryEmbedding");
  CHECK(child(n, "attention").class_name == "ScaledDotProductAttention");
  CHECK(fwd(n, MM_METRIC_WEIGHT_BYTES) == 2 * 6553600.0);
}

TEST_CASE("LlamaFlashAttention2: prefill of P = 913 tokens, flash — hand-derived") {
  const auto st = dsocr_test::prefill_stage(1, kP);
  const auto n = eval(make_layer<LlamaFlashAttention2>(st.ctx(), DecoderConfig{}, dsocr_test::prefill_shape(1, kP)));
  // Projections: 4 · 2·T·h·h. Causal flash: E = P·(P+1)/2 score entries per head; QKᵀ and P·V over d = 128 each.
  const double projections = 4 * 2 * kP * kH * kH;
  const double entries = kP * (kP + 1) / 2;
  const double attention = 2 * 1 * kHeads * entries * (kD + kD);
  CHECK(tc(child(n, "attention")) == attention);
  CHECK(tc(n) == projections + attention);
  // CUDA: RoPE (T·d/2 + 2·T·d + 3·T·(10+10)·d) + softmax 6·B·H·E.
  const double rope = kP * kD / 2 + 2 * kP * kD + 3 * kP * 20 * kD;
  CHECK(fwd(n, MM_METRIC_CUDA_FLOPS) == rope + 6 * kHeads * entries);
  // KV cache: 2·Hk·d values per position at 2 bytes = 5,120 bytes per token.
  CHECK(fwd(n, MM_METRIC_KV_CACHE_BYTES) == kP * 5120);
}

TEST_CASE("LlamaFlashAttention2: one decode step after P = 913 — hand-derived") {
  const auto st = dsocr_test::decode_stage(1, kP, 511);
  const auto make = [&] {
    return make_layer<LlamaFlashAttention2>(st.ctx(), DecoderConfig{}, dsocr_test::decode_shape(1, kP));
  };
  // Step 0 sees K = P + 1 = 914 keys, one query: E = K.
  const auto n = eval(make(), 0, 1);
  const double k = kP + 1;
  CHECK(tc(n) == 4 * 2 * 1 * kH * kH + 2 * kHeads * k * (kD + kD));
  CHECK(fwd(n, MM_METRIC_KV_CACHE_BYTES) == k * 5120);
  // Step 510 (the last of std-v1) sees K = 1424.
  const auto last = eval(make(), 510, 1);
  CHECK(tc(last) == 4 * 2 * kH * kH + 2 * kHeads * 1424 * (kD + kD));
  CHECK(fwd(last, MM_METRIC_KV_CACHE_BYTES) == 1424 * 5120.0);
}

TEST_CASE("LlamaFlashAttention2: decode laws — linear growth, exact step ranges") {
  const auto st = dsocr_test::decode_stage(2, 100, 200);
  const auto make = [&] {
    return make_layer<LlamaFlashAttention2>(st.ctx(), DecoderConfig{}, dsocr_test::decode_shape(2, 100));
  };
  // Step s vs s+1: one more key per sequence and head, 2·B·H·(dq+dv) = 2·2·10·256 = 10,240 TC FLOPs more.
  double previous = tc(eval(make(), 0, 1));
  for (uint64_t s = 1; s < 6; ++s) {
    const double now = tc(eval(make(), s, 1));
    CHECK(now - previous == 10240);
    previous = now;
  }
  // A range of N steps is exactly the sum of the N single steps (flows) and the last step's state.
  for (uint64_t steps : {1, 5, 64}) {
    CAPTURE(steps);
    const auto range = eval(make(), 0, steps);
    for (mm_metric_id id : {MM_METRIC_TC_FLOPS, MM_METRIC_CUDA_FLOPS, MM_METRIC_IO_BYTES}) {
      CHECK(fwd(range, id) == doctest::Approx(sum_single_steps(make, steps, id)).epsilon(1e-12));
    }
    CHECK(fwd(range, MM_METRIC_KV_CACHE_BYTES) == fwd(eval(make(), steps - 1, 1), MM_METRIC_KV_CACHE_BYTES));
  }
}

TEST_CASE("LlamaFlashAttention2: eager moves at least as many bytes as flash — prefill projections scale with T") {
  const DecoderConfig cfg;
  for (uint64_t p : {64, 913}) {
    CAPTURE(p);
    const auto st = dsocr_test::prefill_stage(1, p);
    const auto flash = eval(make_layer<LlamaFlashAttention2>(st.ctx(), cfg, dsocr_test::prefill_shape(1, p)));
    const auto eager =
        eval(make_layer<LlamaFlashAttention2>(st.ctx(), cfg, dsocr_test::prefill_shape(1, p, MM_ATTENTION_EAGER)));
    CHECK(fwd(eager, MM_METRIC_IO_BYTES) > fwd(flash, MM_METRIC_IO_BYTES));
    CHECK(tc(eager) > tc(flash));  // eager computes the full q × K score matrix under the mask
  }
  const auto ds = dsocr_test::decode_stage(1, 913, 10);
  const auto flash = eval(make_layer<LlamaFlashAttention2>(ds.ctx(), cfg, dsocr_test::decode_shape(1, 913)), 0, 10);
  const auto eager = eval(
      make_layer<LlamaFlashAttention2>(ds.ctx(), cfg, dsocr_test::decode_shape(1, 913, MM_ATTENTION_EAGER)), 0, 10);
  CHECK(fwd(eager, MM_METRIC_IO_BYTES) > fwd(flash, MM_METRIC_IO_BYTES));
  CHECK(tc(eager) == tc(flash));  // one query: nothing masked, same score entries

  // Projections (and RoPE) are linear in the tokens; attention is not.
  const auto s1 = dsocr_test::prefill_stage(1, 500);
  const auto s2 = dsocr_test::prefill_stage(1, 1000);
  const auto a = eval(make_layer<LlamaFlashAttention2>(s1.ctx(), cfg, dsocr_test::prefill_shape(1, 500)));
  const auto b = eval(make_layer<LlamaFlashAttention2>(s2.ctx(), cfg, dsocr_test::prefill_shape(1, 1000)));
  for (const char* proj : {"q_proj", "k_proj", "v_proj", "o_proj"}) CHECK(tc(child(b, proj)) == 2 * tc(child(a, proj)));
  CHECK(fwd(child(b, "rotary_emb"), MM_METRIC_CUDA_FLOPS) == 2 * fwd(child(a, "rotary_emb"), MM_METRIC_CUDA_FLOPS));
  CHECK(tc(child(b, "attention")) > 2 * tc(child(a, "attention")));
}

TEST_CASE("LlamaFlashAttention2: backward — projections 2×, flash attention 2.5×, eager attention 2×") {
  const DecoderConfig cfg;
  const auto st = dsocr_test::prefill_stage(1, kP);
  const auto n = eval(make_layer<LlamaFlashAttention2>(st.ctx(), cfg, dsocr_test::prefill_shape(1, kP)));
  const auto& attn = child(n, "attention");
  // Flash backward B·H·E·(6·dq + 4·dv) = 10·B·H·E·d against forward 4·B·H·E·d: 2.5× when dq = dv.
  CHECK(bwd(attn, MM_METRIC_TC_FLOPS) == 2.5 * tc(attn));
  const double projections = tc(n) - tc(attn);
  CHECK(bwd(n, MM_METRIC_TC_FLOPS) == doctest::Approx(2 * projections + 2.5 * tc(attn)).epsilon(1e-12));
  const auto eager =
      eval(make_layer<LlamaFlashAttention2>(st.ctx(), cfg, dsocr_test::prefill_shape(1, kP, MM_ATTENTION_EAGER)));
  CHECK(bwd(eager, MM_METRIC_TC_FLOPS) == doctest::Approx(2 * tc(eager)).epsilon(1e-12));
  CHECK(bwd(n, MM_METRIC_KV_CACHE_BYTES) == 0);
  CHECK(bwd(n, MM_METRIC_PARAMETERS) == 6553600);
}

TEST_CASE("DeepseekV2FlashAttention2 (MLA): parameters of a small hand-worked config") {
  const auto st = dsocr_test::prefill_stage(1, 8);
  // q_lora_rank = 0: q_proj 64·4·(16+8) = 6,144; kv_a_proj_with_mqa 64·(32+8) = 2,560; kv_a_layernorm 32;
  // kv_b_proj split: W_UK 4·16·32 = 2,048 and W_UV 4·32·16 = 2,048 (= kv_b_proj's 32·4·(16+16) = 4,096);
  // o_proj 4·16·64 = 4,096. Total 16,928.
  const auto n = eval(make_layer<DeepseekV2FlashAttention2>(st.ctx(), small_mla(), dsocr_test::prefill_shape(1, 8)));
  CHECK(n.class_name == "DeepseekV2FlashAttention2");
  CHECK(params(child(n, "q_proj")) == 6144);
  CHECK(params(child(n, "kv_a_proj_with_mqa")) == 2560);
  CHECK(params(child(n, "kv_a_layernorm")) == 32);
  CHECK(params(child(n, "kv_b_proj_uk")) + params(child(n, "kv_b_proj_uv")) == 32 * 4 * (16 + 16));
  CHECK(params(child(n, "o_proj")) == 4096);
  CHECK(params(n) == 16928);
  // q_lora_rank = 24: q_a_proj 64·24 = 1,536, q_a_layernorm 24, q_b_proj 24·96 = 2,304 replace q_proj:
  // 16,928 − 6,144 + 3,864 = 14,648.
  const auto lora =
      eval(make_layer<DeepseekV2FlashAttention2>(st.ctx(), small_mla(24), dsocr_test::prefill_shape(1, 8)));
  CHECK(params(child(lora, "q_a_proj")) == 1536);
  CHECK(params(child(lora, "q_a_layernorm")) == 24);
  CHECK(params(child(lora, "q_b_proj")) == 2304);
  CHECK(params(lora) == 14648);
}

TEST_CASE("DeepseekV2FlashAttention2 (MLA): prefill S = 8 FLOPs and latent KV cache — hand-derived") {
  const auto st = dsocr_test::prefill_stage(1, 8);
  const auto n = eval(make_layer<DeepseekV2FlashAttention2>(st.ctx(), small_mla(), dsocr_test::prefill_shape(1, 8)));
  // T = 8, T·H = 32 head rows. Entries E = 8·9/2 = 36 per head; dq = c + d_r = 40, dv = c = 32.
  const double expected = 2 * 8 * 64 * 96           // q_proj
                          + 2 * 8 * 64 * 40         // kv_a_proj_with_mqa
                          + 2 * 32 * 16 * 32        // W_UK: q_nope → latent, per head
                          + 2 * 4 * 36 * (40 + 32)  // attention on the latent
                          + 2 * 32 * 32 * 16        // W_UV: latent context → v, per head
                          + 2 * 8 * 64 * 64;        // o_proj
  CHECK(tc(n) == expected);
  // KV cache: one shared latent [c_KV, k_pe] of 40 channels per position, 2 bytes: 80 bytes per token.
  CHECK(fwd(n, MM_METRIC_KV_CACHE_BYTES) == 8 * 80.0);
  // RoPE on q_pe (4 heads) and k_pe (1 head), 8 channels: 3·8·(4+1)·8 rotated + 8·8/2 + 2·8·8 for cos/sin.
  CHECK(fwd(child(n, "rotary_emb"), MM_METRIC_CUDA_FLOPS) == 3 * 8 * 5 * 8 + 32 + 128);
}

TEST_CASE("MLA's KV cache per token is smaller than MHA's at the same hidden size") {
  DecoderConfig mla;  // the checkpoint's h = 1280, H = 10, with MLA on (c = 512, d_r = 64)
  mla.use_mla = true;
  const auto st = dsocr_test::prefill_stage(1, kP);
  const auto a = eval(make_layer<DeepseekV2FlashAttention2>(st.ctx(), mla, dsocr_test::prefill_shape(1, kP)));
  const auto b = eval(make_layer<LlamaFlashAttention2>(st.ctx(), DecoderConfig{}, dsocr_test::prefill_shape(1, kP)));
  const double mla_per_token = fwd(a, MM_METRIC_KV_CACHE_BYTES) / kP;
  const double mha_per_token = fwd(b, MM_METRIC_KV_CACHE_BYTES) / kP;
  CHECK(mla_per_token == (512 + 64) * 2);    // 1,152 bytes
  CHECK(mha_per_token == 2 * 10 * 128 * 2);  // 5,120 bytes
  CHECK(mla_per_token < mha_per_token);

  // Decode: the MLA range sum is exact too, and step s+1 − step s is 2·H·(dq + dv) = 2·10·(576 + 512).
  const auto ds = dsocr_test::decode_stage(1, kP, 100);
  const auto make = [&] {
    return make_layer<DeepseekV2FlashAttention2>(ds.ctx(), mla, dsocr_test::decode_shape(1, kP));
  };
  CHECK(tc(eval(make(), 1, 1)) - tc(eval(make(), 0, 1)) == 2 * 10 * (576 + 512));
  const auto range = eval(make(), 0, 64);
  CHECK(tc(range) == doctest::Approx(sum_single_steps(make, 64, MM_METRIC_TC_FLOPS)).epsilon(1e-12));
  CHECK(fwd(range, MM_METRIC_IO_BYTES) ==
        doctest::Approx(sum_single_steps(make, 64, MM_METRIC_IO_BYTES)).epsilon(1e-12));
}
