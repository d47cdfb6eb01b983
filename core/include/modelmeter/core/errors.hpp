// Error classes of core; each maps to one exit code of the host (exit_codes.hpp).
#pragma once

#include <modelmeter/core/exit_codes.hpp>
#include <stdexcept>
#include <string>

namespace modelmeter::core {

// Base: a one-line message meant for the user, and the exit code it deserves.
class Failure : public std::runtime_error {
 public:
  Failure(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

// A workload, hardware or model file, or a --set value, was rejected.
struct InputError : Failure {
  explicit InputError(const std::string& m) : Failure(kExitInvalidInput, m) {}
};
// A plugin could not be found, loaded or accepted.
struct PluginLoadError : Failure {
  explicit PluginLoadError(const std::string& m) : Failure(kExitPluginLoad, m) {}
};
// A plugin failed while planning, building or evaluating.
struct PluginFailure : Failure {
  explicit PluginFailure(const std::string& m) : Failure(kExitPluginFailure, m) {}
};
// The report could not be written.
struct OutputError : Failure {
  explicit OutputError(const std::string& m) : Failure(kExitOutput, m) {}
};

}  // namespace modelmeter::core
