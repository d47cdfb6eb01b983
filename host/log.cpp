#include "log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <modelmeter/core/plugin.hpp>

namespace modelmeter::host {

namespace {

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> l;
  return l;
}

std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

// Messages plugins send through the host services table.
void plugin_log(mm_log_level level, const char* message) {
  const std::string m = std::string("plugin: ") + message;
  switch (level) {
    case MM_LOG_DEBUG:
      log_debug(m);
      break;
    case MM_LOG_INFO:
      log_info(m);
      break;
    case MM_LOG_WARN:
      log_warning(m);
      break;
    default:
      log_error(m);
      break;
  }
}

}  // namespace

void init_logging(Verbosity v) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto l = std::make_shared<spdlog::logger>("modelmeter", sink);
  l->set_pattern("%n: %l: %v");
  l->set_level(v == Verbosity::Quiet     ? spdlog::level::err
               : v == Verbosity::Verbose ? spdlog::level::debug
                                         : spdlog::level::warn);
  l->flush_on(spdlog::level::trace);
  logger() = l;
  core::set_log_sink(&plugin_log);
}

void log_error(const std::string& m) {
  if (logger()) logger()->error(one_line(m));
}
void log_warning(const std::string& m) {
  if (logger()) logger()->warn(one_line(m));
}
void log_info(const std::string& m) {
  if (logger()) logger()->info(one_line(m));
}
void log_debug(const std::string& m) {
  if (logger()) logger()->debug(one_line(m));
}

}  // namespace modelmeter::host
