// libFuzzer target: --set arguments (one per input line) through parse_override and resolve_config (no
// workload file: defaults and overrides only). Rejection must be an InputError; anything else is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_catalog.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  modelmeter::core::ResolveInputs in;
  in.workload_name = "(defaults)";
  try {
    std::size_t start = 0;
    while (start <= input.size()) {
      const std::size_t nl = input.find('\n', start);
      const std::string arg = input.substr(start, nl == std::string::npos ? std::string::npos : nl - start);
      in.overrides.push_back(modelmeter::core::parse_override(arg));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
    mm_fuzz::check_resolved(modelmeter::core::resolve_config(mm_fuzz::catalog(), in));
  } catch (const modelmeter::core::InputError& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}
