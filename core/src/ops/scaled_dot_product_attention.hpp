// Attention core: scores QKᵀ, softmax, context P·V (projections are separate Linear ops).
// Formulas: kScaledDotProductAttentionDoc, docs/metrics.md.
#pragma once

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

inline constexpr char kScaledDotProductAttentionDoc[] = R"md(# ScaledDotProductAttention

The core of scaled dot-product attention for B sequences: per query head, S = Q·Kᵀ/√dq, P = softmax(S) along
the keys (causal: key j > query i masked), O = P·V. The q/k/v/o projections are separate Linear ops. Grouped
(GQA/MQA) attention shares each key/value head among H/Hk query heads.

## Symbols

- B: sequences; H: query heads; Hk: key/value heads (Hk divides H); dq: query/key head dim; dv: value head dim
- q: query positions per sequence; K: key positions at the step (K = kv_len + s at decode step s when the
  context grows, else kv_len)
- E: score entries computed per (sequence, head):
  - E = q·K without a causal mask, and under a mask with eager attention (the full matrix is computed)
  - E = q·(K − q) + q·(q + 1)/2 causal with flash (the q new positions see every earlier key and the lower
    triangle, diagonal included, of their own block; prefill q = K: E = S(S + 1)/2)
- χ: 1 when K/V live in a KV cache (`writes_kv_cache`), else 0; bkv = bk if χ else ba
- ε: 1 for eager (scores materialised in memory), 0 for flash
- Lk = q if χ else K: key positions whose K/V are held as activations (the rest is KV cache)
- ba, bk: bytes per element of activations and of the KV cache

## Forward

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | 2·B·H·E·(dq + dv) | S = QKᵀ (2·dq per entry) and O = P·V (2·dv per entry), 2 FLOPs per MAC |
| CUDA-core FLOPs | 6·B·H·E | per entry: scale, max, subtract, exp, sum, divide |
| I/O bytes | ba·B·q·H·dq + bkv·B·Hk·K·(dq + dv) + ba·B·q·H·dv + χ·bk·B·Hk·q·(dq + dv) + ε·4·ba·B·H·E | read Q, read K and V, write O, write the new positions' K/V into the cache; eager: write S, read S, write P, read P |
| weight bytes, parameters | 0 | no weights |
| activation bytes | ba·B·q·H·dv + ε·ba·B·H·E | O; eager also keeps P (for backward) |
| KV-cache bytes | χ·bk·B·Hk·K·(dq + dv) | the cache holding K positions once the step has run |
| live bytes | ba·B·(q·H·dq + Lk·Hk·(dq + dv) + q·H·dv) + ε·2·ba·B·H·E | Q, K/V activations, O; eager: S and P during the softmax |

## Backward

With dO given: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS·K, dK = dSᵀ·Q (each times
1/√dq). Flash recomputes S = QKᵀ and P from the saved row statistics instead of reading P, and forms
rowsum(dO ⊙ O) in place of rowsum(dP ⊙ P).

| metric | formula | convention |
|---|---|---|
| Tensor-Core FLOPs | eager: 4·B·H·E·(dq + dv); flash: B·H·E·(6·dq + 4·dv) | eager 4 matmuls = 2× forward; flash 5 (recomputed QKᵀ) = 2.5× forward when dq = dv |
| CUDA-core FLOPs | eager: 5·B·H·E; flash: 6·B·H·E + 2·B·q·H·dv | eager per entry: dP·P, rowsum, subtract, ·P, scale; flash per entry: recompute P (scale, subtract statistic, exp), subtract, ·P, scale, plus rowsum(dO ⊙ O) (2 per element of O) |
| I/O bytes | ba·B·q·H·dq + bkv·B·Hk·K·(dq + dv) + ba·B·q·H·dv·(1 + (1 − ε)) + ε·5·ba·B·H·E + ba·B·q·H·dq + ba·B·Hk·K·(dq + dv) | read Q, K, V, dO (flash also O); eager: read P, write dP, read dP, write dS, read dS; write dQ, dK, dV |
| weight bytes, parameters | 0 | |
| activation bytes | ba·B·(q·H·dq + Hk·K·(dq + dv)) | dQ, dK, dV |
| KV-cache bytes | 0 | the cache has no gradient |
| live bytes | ba·B·(q·H·dq + Lk·Hk·(dq + dv) + q·H·dv·(1 + (1 − ε))) + ba·B·(q·H·dq + Hk·K·(dq + dv)) + ε·3·ba·B·H·E | Q, K/V activations, dO (flash: O); dQ, dK, dV; eager: P, dP, dS |

## Decode steps

With a growing context, one call covers steps first … first + n − 1. Every flow metric (FLOPs, I/O) is affine
in K, so the exact sum over the range is n × its value at the mean context,
Σ_s (kv_len + s) = n·kv_len + n·first + n·(n − 1)/2. State metrics (activations, KV cache, live bytes) are
their value at the last step, K = kv_len + first + n − 1 (the maximum over the range).

## Assumptions

- K and V are read once per (sequence, key/value head): the query heads sharing a key/value head and the
  query blocks of a flash kernel re-read them from cache, not from DRAM.
- Flash keeps scores on chip; its per-row softmax statistics (O(B·H·q) values) and the rescaling of partial
  outputs are not counted. The causal mask of eager attention is folded into the max (not counted).
- With a KV cache, K and V of the new positions are written to the cache and every context position is read
  from it at the KV-cache precision.

Conventions: see docs/metrics.md.
)md";

class ScaledDotProductAttention final : public CoreOp {
 public:
  MODELMETER_LAYER_CLASS(ScaledDotProductAttention, MM_CATEGORY_ATTENTION, kScaledDotProductAttentionDoc)
  ScaledDotProductAttention(const modelmeter::StageContext& ctx, const mm_op_spec& spec);
  Metrics own(Pass pass) const override;
  Metrics own_steps(Pass pass, uint64_t first, uint64_t count) const override;
  std::string shapes() const override;

 private:
  // One step's metrics with K = `context` key positions (any real K: the sum over steps uses the mean).
  Metrics at_context(Pass pass, double context) const;

  double batch_;
  double heads_;
  double kv_heads_;
  double head_dim_;
  double v_head_dim_;
  double query_len_;
  double kv_len_;
  bool causal_;
  bool grows_;
  bool eager_;
  bool kv_cache_;
  bool kv_shared_;  // K and V are one tensor (MLA latent): kv_width = dq
  double ba_;
  double bk_;
};

}  // namespace modelmeter::core::ops
