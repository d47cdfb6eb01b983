// The example model's configuration, read once from the resolved workload (model.* keys).
#pragma once

#include <cstdint>
#include <modelmeter/sdk.hpp>

namespace example {

struct ExampleConfig {
  uint64_t hidden;
  uint64_t heads;
  uint64_t ffn;
  uint64_t layers;
  uint64_t vocab;
  uint64_t max_positions;

  static ExampleConfig from(const modelmeter::Config& c) {
    ExampleConfig e{
        static_cast<uint64_t>(c.get_int("model.hidden")), static_cast<uint64_t>(c.get_int("model.heads")),
        static_cast<uint64_t>(c.get_int("model.ffn")),    static_cast<uint64_t>(c.get_int("model.layers")),
        static_cast<uint64_t>(c.get_int("model.vocab")),  static_cast<uint64_t>(c.get_int("model.max_positions"))};
    if (e.hidden % e.heads != 0) {
      throw modelmeter::InvalidArgument("model.heads = " + std::to_string(e.heads) +
                                        " does not divide model.hidden = " + std::to_string(e.hidden));
    }
    return e;
  }
  uint64_t head_dim() const { return hidden / heads; }
};

// Shapes of one stage: tokens per step and the attention context.
struct StageShape {
  uint64_t batch;
  uint64_t query_len;  // per sequence
  uint64_t kv_len;     // context at step 0
  bool decode;
  double tokens() const { return static_cast<double>(batch * query_len); }
};

}  // namespace example
