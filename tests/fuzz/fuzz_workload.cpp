// libFuzzer target: a workload file (and, after a line "%%%", a model file) through resolve_config, i.e. TOML
// parsing and strict validation against the key catalog. Rejection must be an InputError (a one-line
// message, exit code 3); anything else escaping, a crash or a sanitizer report is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  modelmeter::core::ResolveInputs in;
  in.workload_file = "fuzz-workload.toml";
  in.workload_name = "fuzz";
  const std::size_t split = input.find("\n%%%\n");
  in.workload_text = input.substr(0, split);
  if (split != std::string::npos) {
    in.model_file = "fuzz-model.toml";
    in.model_text = input.substr(split + 5);
  }
  try {
    mm_fuzz::check_resolved(modelmeter::core::resolve_config(mm_fuzz::catalog(), in));
  } catch (const modelmeter::core::InputError& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
