// Workload keys: TOML loading, --set overrides and strict validation (core/src/config.cpp).
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <modelmeter/core/config.hpp>
#include <modelmeter/core/errors.hpp>
#include <string>

using namespace modelmeter::core;

namespace {

std::filesystem::path write_temp(const std::string& name, const std::string& text) {
  // One folder per process (ctest runs the cases of this file in parallel), removed when the process ends.
  struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("mm_test_config." + std::to_string(::getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const Folder folder;
  const auto& dir = folder.path;
  const auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

const mm_key_decl kPluginKeys[] = {
    {sizeof(mm_key_decl), "vision.mode", MM_VALUE_STRING, "\"base\"", 1, 0, "off|tiny|base|gundam", 0, 0, "mode"},
    {sizeof(mm_key_decl), "vision.grid", MM_VALUE_INT_ARRAY, nullptr, 1, 9, nullptr, 2, 2, "tile grid"},
    {sizeof(mm_key_decl), "model.hidden_size", MM_VALUE_INT, "1280", 1, 65536, nullptr, 0, 0, "hidden"},
    {sizeof(mm_key_decl), "model.rope_theta", MM_VALUE_FLOAT, "10000.0", 1, 1e9, nullptr, 0, 0, "rope"},
};
const mm_key_decl* const kPluginKeyPtrs[] = {&kPluginKeys[0], &kPluginKeys[1], &kPluginKeys[2], &kPluginKeys[3]};

KeyCatalog catalog() {
  KeyCatalog c = KeyCatalog::core_keys();
  c.add_plugin_keys("testplugin", kPluginKeyPtrs, 4);
  return c;
}

ResolvedConfig resolve(const std::string& toml, std::vector<std::string> sets = {}) {
  ResolveInputs in;
  in.workload_file = write_temp("w.toml", toml);
  in.workload_name = "w";
  for (const auto& s : sets) in.overrides.push_back(parse_override(s));
  return resolve_config(catalog(), in);
}

std::string error_of(const std::string& toml, std::vector<std::string> sets = {}) {
  try {
    resolve(toml, sets);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("defaults, workload values and --set overrides layer in that order") {
  const auto cfg =
      resolve("[decode]\nmax_new_tokens = 512\n[batch]\nsize = 2\n", {"batch.size=4", "vision.mode=gundam"});
  CHECK(cfg.settings.at("batch.size").value.integer == 4);
  CHECK(cfg.settings.at("batch.size").source == "--set");
  CHECK(cfg.settings.at("decode.max_new_tokens").value.integer == 512);
  CHECK(cfg.settings.at("precision.weights").value.string == "bf16");
  CHECK(cfg.settings.at("precision.weights").source == "default");
  CHECK(cfg.settings.at("vision.mode").value.string == "gundam");  // a bare word is a string
  CHECK(cfg.settings.at("model.hidden_size").value.integer == 1280);
  CHECK(cfg.settings.find("attention.impl") == cfg.settings.end());  // no default: the model decides
}

TEST_CASE("--set reads TOML values: arrays, floats, quoted strings") {
  const auto cfg = resolve("[decode]\nmax_new_tokens = 8\n",
                           {"vision.grid=[2,3]", "model.rope_theta=5e5", "precision.kv_cache=\"fp8\""});
  CHECK(cfg.settings.at("vision.grid").value.ints == std::vector<int64_t>{2, 3});
  CHECK(cfg.settings.at("model.rope_theta").value.number == 500000.0);
  CHECK(cfg.settings.at("precision.kv_cache").value.string == "fp8");
}

TEST_CASE("integers are accepted where a float is declared, not the other way round") {
  CHECK(resolve("[decode]\nmax_new_tokens = 8\n[model]\nrope_theta = 20000\n")
            .settings.at("model.rope_theta")
            .value.number == 20000.0);
  const std::string e = error_of("[decode]\nmax_new_tokens = 8.5\n");
  CHECK(e.find("decode.max_new_tokens") != std::string::npos);
  CHECK(e.find("must be an integer, got a float") != std::string::npos);
}

TEST_CASE("malformed TOML names file, line and column") {
  const std::string e = error_of("[decode]\nmax_new_tokens = = 3\n");
  CHECK(e.find("w.toml:2:") != std::string::npos);
  CHECK(e.find("malformed TOML") != std::string::npos);
}

TEST_CASE("an unknown key is rejected with the closest valid key") {
  const std::string e = error_of("[decode]\nmax_new_tokens = 8\n[vision]\nmod = \"base\"\n");
  CHECK(e.find("unknown key 'vision.mod'") != std::string::npos);
  CHECK(e.find("did you mean 'vision.mode'?") != std::string::npos);
  CHECK(e.find("w.toml:4:1") != std::string::npos);
  const std::string s = error_of("[decode]\nmax_new_tokens = 8\n", {"batch.sise=2"});
  CHECK(s.find("did you mean 'batch.size'?") != std::string::npos);
}

TEST_CASE("wrong types and impossible values are rejected with what is allowed") {
  CHECK(error_of("[decode]\nmax_new_tokens = 8\n[batch]\nsize = \"one\"\n").find("must be an integer, got a string") !=
        std::string::npos);
  const std::string zero = error_of("[decode]\nmax_new_tokens = 8\n[batch]\nsize = 0\n");
  CHECK(zero.find("'batch.size' = 0 is not allowed") != std::string::npos);
  CHECK(zero.find("an integer from 1 to") != std::string::npos);
  CHECK(error_of("[decode]\nmax_new_tokens = -5\n").find("'decode.max_new_tokens' = -5 is not allowed") !=
        std::string::npos);
  CHECK(error_of("[decode]\nmax_new_tokens = 8\n", {"precision.weights=fp6"})
            .find("one of fp32, bf16, fp16, fp8, int8, int4") != std::string::npos);
  CHECK(error_of("[decode]\nmax_new_tokens = 8\n", {"vision.grid=[2,3,4]"}).find("an array of 2 integers") !=
        std::string::npos);
  CHECK(error_of("[decode]\nmax_new_tokens = 8\n", {"vision.grid=[0,3]"}).find("each from 1 to 9") !=
        std::string::npos);
}

TEST_CASE("a required key that no layer sets is an error naming it") {
  CHECK(error_of("[batch]\nsize = 1\n").find("does not set required key 'decode.max_new_tokens'") != std::string::npos);
}

TEST_CASE("--set syntax errors") {
  CHECK_THROWS_AS(parse_override("batch.size"), InputError);
  CHECK_THROWS_AS(parse_override("size=3"), InputError);
  CHECK_THROWS_AS(parse_override("batch.size="), InputError);
  CHECK(error_of("[decode]\nmax_new_tokens = 8\n", {"batch.size=[1"}).find("is not a TOML value") != std::string::npos);
}

TEST_CASE("plugin key declarations are checked when loaded") {
  KeyCatalog c = KeyCatalog::core_keys();
  const mm_key_decl bad_default = {sizeof(mm_key_decl), "model.layers", MM_VALUE_INT, "0", 1, 10, nullptr, 0, 0, ""};
  const mm_key_decl* p1[] = {&bad_default};
  CHECK_THROWS_WITH_AS(c.add_plugin_keys("p", p1, 1), doctest::Contains("its default does not satisfy"),
                       PluginLoadError);
  const mm_key_decl no_section = {sizeof(mm_key_decl), "layers", MM_VALUE_INT, "1", 1, 10, nullptr, 0, 0, ""};
  const mm_key_decl* p2[] = {&no_section};
  CHECK_THROWS_AS(c.add_plugin_keys("p", p2, 1), PluginLoadError);
  const mm_key_decl core_type = {sizeof(mm_key_decl), "batch.size", MM_VALUE_STRING, nullptr, 1, 0, nullptr, 0, 0, ""};
  const mm_key_decl* p3[] = {&core_type};
  CHECK_THROWS_AS(c.add_plugin_keys("p", p3, 1), PluginLoadError);
  // Re-declaring a core key with the same type changes only its default.
  const mm_key_decl impl = {
      sizeof(mm_key_decl), "attention.impl", MM_VALUE_STRING, "\"eager\"", 1, 0, nullptr, 0, 0, ""};
  const mm_key_decl* p4[] = {&impl};
  c.add_plugin_keys("p", p4, 1);
  REQUIRE(c.find("attention.impl")->default_value.has_value());
  CHECK(c.find("attention.impl")->default_value->string == "eager");
  CHECK(c.find("attention.impl")->allowed == std::vector<std::string>{"eager", "flash"});
}

TEST_CASE("config_get answers the ABI: values, unset keys and undeclared keys") {
  const auto cfg = resolve("[decode]\nmax_new_tokens = 8\n", {"vision.grid=[2,3]"});
  mm_value v{};
  mm_error err{};
  REQUIRE(config_get(&cfg, "vision.grid", &v, &err) == MM_OK);
  CHECK(v.type == MM_VALUE_INT_ARRAY);
  REQUIRE(v.count == 2);
  CHECK(v.ints[1] == 3);
  REQUIRE(config_get(&cfg, "batch.size", &v, &err) == MM_OK);
  CHECK(v.number == 1.0);
  REQUIRE(config_get(&cfg, "attention.impl", &v, &err) == MM_OK);
  CHECK(v.type == MM_VALUE_NONE);
  CHECK(config_get(&cfg, "nope.key", &v, &err) == MM_ERR_NOT_FOUND);
  CHECK(std::string(err.message).find("nope.key") != std::string::npos);
}

// Found by fuzz_set / fuzz_workload (tests/fuzz): values must print as TOML that reads back as themselves,
// and --set must take exactly one value.
TEST_CASE("a string value prints as TOML that reads back as the same string, control characters included") {
  Value v;
  v.type = MM_VALUE_STRING;
  v.string =
      "a\"b\\c\nd\te\x01"
      "f\x7f";
  CHECK(v.to_toml() == "\"a\\\"b\\\\c\\nd\\te\\u0001f\\u007f\"");
  KeyDecl d;
  d.key = "model.label";
  d.type = MM_VALUE_STRING;
  CHECK(parse_value_text(d, v.to_toml(), "test") == v);
}

TEST_CASE("--set takes one value: a second line or key is refused") {
  const std::string e = error_of("[decode]\nmax_new_tokens = 8\n", {"batch.size=2\nprompt.text_tokens = 5"});
  CHECK(e.find("is not a single TOML value") != std::string::npos);
  CHECK(
      resolve("[decode]\nmax_new_tokens = 8\n", {"batch.size=2 # a comment"}).settings.at("batch.size").value.integer ==
      2);
}

TEST_CASE("--set reads a bare word as a string for a string key, even one TOML reads otherwise") {
  KeyDecl d;
  d.key = "model.label";
  d.type = MM_VALUE_STRING;
  for (const char* word : {"nan", "inf", "true", "12", "1e5", "base"}) {
    CAPTURE(word);
    CHECK(parse_value_text(d, word, "test").string == word);
  }
  CHECK(error_of("[decode]\nmax_new_tokens = 8\n", {"batch.size=nan"}).find("must be an integer, got a float") !=
        std::string::npos);
}

TEST_CASE("workload and model text in memory: parsed as if read from the named file") {
  ResolveInputs in;
  in.workload_file = "memory-workload.toml";
  in.workload_text = "[decode]\nmax_new_tokens = 3\n[batch\n";
  try {
    resolve_config(catalog(), in);
    FAIL("no error");
  } catch (const InputError& e) {
    CHECK(std::string(e.what()).find("workload file memory-workload.toml:3:7: malformed TOML") != std::string::npos);
  }
  in.workload_text = "[decode]\nmax_new_tokens = 3\n";
  in.model_file = "memory-model.toml";
  in.model_text = "hidden_size = 64\n";
  const auto cfg = resolve_config(catalog(), in);
  CHECK(cfg.settings.at("decode.max_new_tokens").value.integer == 3);
  CHECK(cfg.settings.at("model.hidden_size").value.integer == 64);
}
