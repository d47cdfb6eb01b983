// Logging for the host (spdlog lives only in log.cpp).
#pragma once

#include <string>

namespace modelmeter::host {

enum class Verbosity { Quiet, Normal, Verbose };

void init_logging(Verbosity v);
void log_error(const std::string& message);  // one line: "modelmeter: error: …"
void log_warning(const std::string& message);
void log_info(const std::string& message);
void log_debug(const std::string& message);

}  // namespace modelmeter::host
