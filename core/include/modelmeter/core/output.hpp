// Files produced by writer plugins, committed atomically by the host.
#pragma once

#include <modelmeter/abi.h>

#include <filesystem>
#include <modelmeter/core/export.hpp>
#include <string>
#include <utility>
#include <vector>

// The opaque output handle of the ABI: files collected in memory until every writer has succeeded.
struct mm_output {
  std::string writer;                                      // for messages
  std::vector<std::pair<std::string, std::string>> files;  // relative path, content
};

namespace modelmeter::core {

// mm_host_api::emit_file: checks the relative path (no absolute path, no '..', no empty segment, no duplicate).
MM_CORE_API mm_status emit_file(mm_output* output, const char* relative_path, const char* data, size_t size,
                                mm_error* err) noexcept;

// Writes every file under `dir` (created if missing): each to a temporary file in its final folder, then all
// renamed into place. On any failure the temporaries are removed and OutputError names the path; files that
// existed before are left as they were.
MM_CORE_API void commit_outputs(const std::filesystem::path& dir, const std::vector<const mm_output*>& outputs);

}  // namespace modelmeter::core
