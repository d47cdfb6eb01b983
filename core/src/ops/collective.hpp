// Collectives: all-reduce, all-gather, reduce-scatter, all-to-all and send/recv between the GPUs of a parallel
// group (ABI 1.3). Formulas: the pages below, docs/parallelism.md; cost models: core/collectives.hpp.
#pragma once

#include <modelmeter/core/collectives.hpp>

#include "core_op.hpp"
#include "op_common.hpp"

namespace modelmeter::core::ops {

#define MM_COLLECTIVE_DOC_TAIL                                                                                     \
  "\n## Symbols\n\n- S = T·F·ba: the buffer, T rows (tokens) × F features of the activation dtype (ba bytes)\n" \
  "- g: GPUs in the group (`ranks`; 0 in the spec: the group's degree from the stage's layout), of the tensor-, "  \
  "expert-, pipeline- or data-parallel group (`comm_group`)\n\n"                                                   \
  "## Forward\n\n| metric | value |\n|---|---|\n| Tensor-Core FLOPs | 0 |\n"                                       \
  "| I/O bytes | 0: the collective's DRAM traffic overlaps its transfers and is not counted apart |\n"             \
  "| weight bytes, parameters, KV-cache bytes | 0 |\n"                                                             \
  "| comm bytes | bytes each GPU sends (it receives as many), per call: see the first paragraph |\n\n"             \
  "## Backward\n\nThe same figures: the conjugate collective of a Megatron-style layer moves the same bytes.\n\n"  \
  "Time: the interconnect roof, α–β over the profile's link and network (docs/parallelism.md); with a "        \
  "calibration the all-reduce is the calibrated one. A group of one GPU costs nothing.\n\n"                        \
  "Conventions: see docs/metrics.md.\n"

inline constexpr char kAllReduceDoc[] =
    "# AllReduce\n\nEvery GPU ends with the element-wise sum of all g buffers (ring: reduce-scatter then "
    "all-gather). comm_bytes 2(g−1)/g·S; CUDA-core FLOPs (g−1)/g·T·F (the adds of the reduction); activation "
    "bytes S (the result, in place); live bytes 2S.\n" MM_COLLECTIVE_DOC_TAIL;
inline constexpr char kAllGatherDoc[] =
    "# AllGather\n\nEvery GPU ends with all g shards; S is the gathered buffer (each GPU contributes S/g). "
    "comm_bytes (g−1)/g·S; no FLOPs; activation bytes S; live bytes S + S/g.\n" MM_COLLECTIVE_DOC_TAIL;
inline constexpr char kReduceScatterDoc[] =
    "# ReduceScatter\n\nThe g buffers of S are summed and each GPU keeps 1/g of the sum. comm_bytes (g−1)/g·S; "
    "CUDA-core FLOPs (g−1)/g·T·F; activation bytes S/g; live bytes S + S/g.\n" MM_COLLECTIVE_DOC_TAIL;
inline constexpr char kAllToAllDoc[] =
    "# AllToAll\n\nEach GPU sends 1/g of its S to every other GPU (MoE dispatch and combine). comm_bytes "
    "(g−1)/g·S; no FLOPs; activation bytes S; live bytes 2S.\n" MM_COLLECTIVE_DOC_TAIL;
inline constexpr char kSendRecvDoc[] =
    "# SendRecv\n\nOne GPU sends S to the next (pipeline stages). comm_bytes S; no FLOPs; activation bytes S; "
    "live bytes S.\n" MM_COLLECTIVE_DOC_TAIL;

#undef MM_COLLECTIVE_DOC_TAIL

class CollectiveOp : public CoreOp {
 public:
  Metrics own(Pass pass) const override;
  std::string shapes() const override;
  Collective collective() const noexcept { return kind_; }
  double buffer_bytes() const noexcept { return tokens_ * features_ * ba_; }
  double ranks() const noexcept { return ranks_; }
  int32_t group() const noexcept { return group_; }

 protected:
  CollectiveOp(const modelmeter::StageContext& ctx, const mm_op_spec& spec, Collective kind);

 private:
  Collective kind_;
  double tokens_, features_, ranks_, ba_;
  int32_t group_;
};

#define MM_COLLECTIVE_CLASS(Name, Kind, Doc)                                                             \
  class Name final : public CollectiveOp {                                                               \
   public:                                                                                               \
    MODELMETER_LAYER_CLASS(Name, MM_CATEGORY_COMMUNICATION, Doc)                                         \
    Name(const modelmeter::StageContext& ctx, const mm_op_spec& spec) : CollectiveOp(ctx, spec, Kind) {} \
  };
MM_COLLECTIVE_CLASS(AllReduce, Collective::AllReduce, kAllReduceDoc)
MM_COLLECTIVE_CLASS(AllGather, Collective::AllGather, kAllGatherDoc)
MM_COLLECTIVE_CLASS(ReduceScatter, Collective::ReduceScatter, kReduceScatterDoc)
MM_COLLECTIVE_CLASS(AllToAll, Collective::AllToAll, kAllToAllDoc)
MM_COLLECTIVE_CLASS(SendRecv, Collective::SendRecv, kSendRecvDoc)
#undef MM_COLLECTIVE_CLASS

// The group name of mm_op_spec.comm_group ("tp", "ep", "pp", "dp").
const char* comm_group_name(int32_t group) noexcept;

}  // namespace modelmeter::core::ops
