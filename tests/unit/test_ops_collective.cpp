// core's collective ops (core/src/ops/collective.cpp): hand-derived bytes per GPU, reduction FLOPs, validation.
#include "op_test_support.hpp"

using mmtest::Context;
using mmtest::Op;

namespace {

mm_op_spec collective(mm_op_kind kind, double tokens, uint64_t features, uint64_t ranks,
                      int32_t group = MM_COMM_GROUP_TP) {
  mm_op_spec s = mmtest::spec(kind, tokens);
  s.features = features;
  s.ranks = ranks;
  s.comm_group = group;
  return s;
}

}  // namespace

TEST_CASE("AllReduce: T=4 F=8 bf16 over 4 GPUs: 2(g-1)/g S bytes and (g-1)/g T F adds") {
  const Context c;
  const Op op(c, collective(MM_OP_ALL_REDUCE, 4, 8, 4));
  CHECK(op.cls().name == std::string("AllReduce"));
  CHECK(op.cls().category == MM_CATEGORY_COMMUNICATION);
  CHECK(op.shapes() == "tokens=4 features=8 ranks=4 group=tp");
  const auto f = op.forward();  // S = 4·8·2 = 64 bytes
  CHECK(f.comm_bytes == 96);    // 2·3/4·64
  CHECK(f.cuda_flops == 24);    // 3/4·32 elements
  CHECK(f.tc_flops == 0);
  CHECK(f.io_bytes == 0);
  CHECK(f.parameters == 0);
  CHECK(f.activation_bytes == 64);
  CHECK(f.live_bytes == 128);
  CHECK(op.forward().comm_bytes == op.backward().comm_bytes);
}

TEST_CASE("AllGather ReduceScatter AllToAll and SendRecv: (g-1)/g S and S") {
  const Context c;
  // S = 16·16·2 = 512 bytes, g = 8.
  CHECK(Op(c, collective(MM_OP_ALL_GATHER, 16, 16, 8)).forward().comm_bytes == 448);  // 7/8·512
  CHECK(Op(c, collective(MM_OP_ALL_GATHER, 16, 16, 8)).forward().cuda_flops == 0);
  CHECK(Op(c, collective(MM_OP_REDUCE_SCATTER, 16, 16, 8)).forward().comm_bytes == 448);
  CHECK(Op(c, collective(MM_OP_REDUCE_SCATTER, 16, 16, 8)).forward().cuda_flops == 224);  // 7/8·256
  CHECK(Op(c, collective(MM_OP_ALL_TO_ALL, 16, 16, 8, MM_COMM_GROUP_EP)).forward().comm_bytes == 448);
  CHECK(Op(c, collective(MM_OP_SEND_RECV, 16, 16, 2, MM_COMM_GROUP_PP)).forward().comm_bytes == 512);
  CHECK(Op(c, collective(MM_OP_ALL_REDUCE, 16, 16, 1)).forward().comm_bytes == 0);  // a group of one
}

TEST_CASE("collectives: ranks 0 takes the group's degree from the stage layout, bad specs are refused") {
  Context c;
  const mm_parallel par{sizeof(mm_parallel), 2, 1, 4, 1, 0};
  c.ctx.parallel = &par;
  CHECK(Op(c, collective(MM_OP_ALL_TO_ALL, 16, 16, 0, MM_COMM_GROUP_EP)).shapes() ==
        "tokens=16 features=16 ranks=4 group=ep");
  CHECK(Op(c, collective(MM_OP_ALL_REDUCE, 16, 16, 0)).forward().comm_bytes == 512);  // tp = 2: S
  const Context bare;
  const auto zero = mmtest::try_create(bare, collective(MM_OP_ALL_REDUCE, 16, 16, 0));
  CHECK(zero.status == MM_ERR_INVALID_ARGUMENT);
  CHECK(zero.message.find("ranks must be > 0") != std::string::npos);
  const auto group = mmtest::try_create(bare, collective(MM_OP_ALL_REDUCE, 16, 16, 2, 7));
  CHECK(group.message.find("comm_group must be tp (0), ep (1), pp (2) or dp (3), got 7") != std::string::npos);
  const auto features = mmtest::try_create(bare, collective(MM_OP_SEND_RECV, 16, 0, 2));
  CHECK(features.message.find("features must be > 0") != std::string::npos);
}
