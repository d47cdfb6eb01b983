// The key catalog the config fuzzers validate against: core's keys plus a plugin's declarations covering
// every value type and constraint the ABI offers (a copy of typical DeepSeek-OCR and example keys, and a
// free string and an unbounded float, which no bundled plugin declares but a third-party one may).
#pragma once

#include <cstdlib>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/sdk.hpp>
#include <string_view>

namespace mm_fuzz {

inline const modelmeter::core::KeyCatalog& catalog() {
  static const modelmeter::core::KeyCatalog c = [] {
    namespace mm = modelmeter;
    static constexpr mm_key_decl keys[] = {
        mm::key_string("vision.mode", "\"base\"", "off|tiny|small|base|large|gundam", "vision mode"),
        mm::key_ints("vision.page", nullptr, 1, 1e6, 2, 2, "page size"),
        mm::key_ints("vision.grid", nullptr, 1, 9, 2, 2, "tile grid"),
        mm::key_ints("vision.crops", "[]", 0, 100, 0, 0, "an unbounded-length array"),
        mm::key_int("vision.image_size", "640", 64, 8192, "tile side"),
        mm::key_int("model.hidden_size", "1280", 1, 1 << 20, "hidden size"),
        mm::key_int("model.max_position_embeddings", "8192", 1, 1LL << 40, "maximum context"),
        mm::key_bool("model.use_mla", "false", "MLA"),
        mm::key_float("model.rope_theta", "10000.0", 1, 1e12, "a bounded float"),
        mm::key_float("model.scale", nullptr, 1, 0, "an unbounded float"),
        mm::key_string("model.label", "\"x\"", nullptr, "a free string"),
        mm::key_string("attention.impl", "\"flash\"", "eager|flash", "a core key with a plugin default"),
    };
    static const mm_key_decl* const ptrs[] = {&keys[0], &keys[1], &keys[2], &keys[3], &keys[4],  &keys[5],
                                              &keys[6], &keys[7], &keys[8], &keys[9], &keys[10], &keys[11]};
    modelmeter::core::KeyCatalog cat = modelmeter::core::KeyCatalog::core_keys();
    cat.add_plugin_keys("fuzz", ptrs, sizeof ptrs / sizeof ptrs[0]);
    return cat;
  }();
  return c;
}

// What a resolved configuration must satisfy: every declared key with a value has the declared type, and
// its TOML text (as reports and messages print it) reads back, through --set's parser, as the same value.
inline void check_resolved(const mm_config& cfg) {
  for (const auto& [key, setting] : cfg.settings) {
    const modelmeter::core::KeyDecl* d = catalog().find(key);
    if (d == nullptr || setting.value.type != d->type) std::abort();
    const std::string text = setting.value.to_toml();
    modelmeter::core::Value back;
    try {
      back = modelmeter::core::parse_value_text(*d, text, "round trip");
    } catch (const modelmeter::core::InputError&) {
      std::abort();  // a value accepted once must be accepted again as printed
    }
    if (!(back == setting.value)) std::abort();
  }
}

}  // namespace mm_fuzz
