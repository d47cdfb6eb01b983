// Reading input files safely: only regular files, never more than a stated size.
#pragma once

#include <cstddef>
#include <filesystem>
#include <modelmeter/core/export.hpp>
#include <string>

namespace modelmeter::core {

// The most any input file (workload, hardware profile, model file) may hold; larger ones are refused.
inline constexpr std::size_t kMaxInputFileBytes = 16u << 20;  // 16 MiB

// Reads `path` whole. Refuses, with InputError naming `what` and the path, a path that does not exist, anything
// that is not a regular file (a folder, a FIFO, a device such as /dev/zero, a socket: opened without blocking
// and checked with fstat, so a FIFO cannot hang the reader), and a file over `max_bytes` (checked before reading
// and again while reading, so a file that grows cannot get past it). Symbolic links are followed.
MM_CORE_API std::string read_regular_file(const std::filesystem::path& path, const std::string& what,
                                          std::size_t max_bytes = kMaxInputFileBytes);

}  // namespace modelmeter::core
