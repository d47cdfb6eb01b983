// `modelmeter serve` in the main executable: hands the whole command line to the `modelmeter-serve` executable
// next to it. The HTTP server needs cpp-httplib, which Debian builds with OpenSSL, zlib and brotli; linking it
// into `modelmeter` itself would load those libraries into every `run` (+4 MB RSS and ~3 ms of start-up).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <modelmeter/core/errors.hpp>
#include <string>
#include <vector>

#include "commands.hpp"

namespace modelmeter::host {

int cmd_serve(const GlobalOptions& /*g*/, const ServeOptions& /*o*/) {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) throw core::Failure(kExitInternal, "cannot locate the modelmeter executable: " + ec.message());
  const std::string server = (exe.parent_path() / "modelmeter-serve").string();
  std::vector<char*> argv = command_line();
  argv.push_back(nullptr);
  ::execv(server.c_str(), argv.data());  // returns only on failure
  throw core::Failure(kExitInternal, "serve: cannot run '" + server + "': " + std::strerror(errno) +
                                         " (it is installed with modelmeter, next to it)");
}

}  // namespace modelmeter::host
