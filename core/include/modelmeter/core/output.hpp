// Files produced by writer plugins, committed atomically by the host.
#pragma once

#include <modelmeter/abi.h>

#include <filesystem>
#include <modelmeter/core/export.hpp>
#include <string>
#include <string_view>
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

class StreamedFile;

// commit_outputs with streamed files: each finished StreamedFile is renamed into place with the rest, all or none.
MM_CORE_API void commit_outputs(const std::filesystem::path& dir, const std::vector<const mm_output*>& outputs,
                                const std::vector<StreamedFile*>& streamed);

// A file written piece by piece (a sweep's rows as they come) into a fresh temporary next to its final name,
// created like commit_outputs' temporaries (O_CREAT|O_EXCL|O_NOFOLLOW, never through a link, the folders made as
// needed) and renamed into place by commit_outputs together with the other files. Until then the final name is
// untouched; destroyed uncommitted (an error, an exception), it removes its temporary and the folders it made.
// Memory: one buffer of at most kBufferBytes, whatever is written.
class MM_CORE_API StreamedFile {
 public:
  static constexpr std::size_t kBufferBytes = 1 << 20;

  // `rel`: a relative path inside `dir` (checked like emit_file's). Throws OutputError naming the file and errno.
  StreamedFile(const std::filesystem::path& dir, const std::string& rel);
  ~StreamedFile();
  StreamedFile(const StreamedFile&) = delete;
  StreamedFile& operator=(const StreamedFile&) = delete;

  void write(std::string_view data);  // buffered; throws OutputError (ENOSPC on a full disk)
  void finish();                      // flushes and closes; throws OutputError

  const std::filesystem::path& final_path() const noexcept { return final_; }
  const std::filesystem::path& temp_path() const noexcept { return tmp_; }

 private:
  friend void commit_outputs(const std::filesystem::path&, const std::vector<const mm_output*>&,
                             const std::vector<StreamedFile*>&);
  void flush();

  std::filesystem::path final_, tmp_;
  std::vector<std::filesystem::path> created_;  // folders made for it, outermost first
  std::string buffer_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace modelmeter::core
