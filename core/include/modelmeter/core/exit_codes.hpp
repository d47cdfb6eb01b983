// Exit codes of the modelmeter executable (documented in docs/cli.md).
#pragma once

namespace modelmeter {

enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,       // a bug: an unexpected failure inside modelmeter itself
  kExitUsage = 2,          // bad command line (unknown option, missing argument)
  kExitInvalidInput = 3,   // workload / hardware / model file or --set value rejected
  kExitPluginLoad = 4,     // plugin or writer could not be found or loaded (missing, not a plugin, ABI)
  kExitPluginFailure = 5,  // a plugin failed while planning, building or evaluating (exception, error, NaN)
  kExitOutput = 6,         // the report could not be written
};

}  // namespace modelmeter
