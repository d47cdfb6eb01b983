// Test support: run a child process and capture what it prints, plus small file helpers.
//
// run_process() starts argv[0] (looked up in PATH when it has no '/') with posix_spawnp. The child's stdin is
// /dev/null and its stdout/stderr go to temporary files that are read back once it has exited, so a child
// printing a lot can never deadlock against a full pipe. Nothing here is specific to modelmeter.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mm_test {

struct ProcessResult {
  int exit_code = -1;     // the exit status; 128 + signal number when the child was killed by a signal
  bool signaled = false;  // true when the child was killed by a signal (abort(), segfault, ...)
  std::string out;        // everything the child wrote on stdout
  std::string err;        // everything the child wrote on stderr
};

// Runs `argv` and waits for it. `extra_env` entries are added to (or replace, by name) the current
// environment; `cwd`, when not empty, is the child's working directory. Throws std::runtime_error when
// the process cannot be started at all (empty argv, program not found, cwd missing).
ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env = {},
                          const std::string& cwd = {});

// The whole content of a file (binary-safe). Throws std::runtime_error when it cannot be opened.
std::string read_file(const std::string& path);

// Writes `content` to `path` (creating or truncating it). Throws std::runtime_error on failure.
void write_file(const std::string& path, const std::string& content);

// Creates a fresh, empty directory under $TMPDIR (or /tmp) and returns its path. The caller removes it
// (or uses TempDir, which does).
std::string make_temp_dir(const std::string& prefix = "modelmeter-test");

// A temporary directory removed (recursively) when the object goes out of scope.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "modelmeter-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const noexcept { return path_; }
  // path() + "/" + name
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The lines of `text`, without their '\n' (a final line without '\n' counts; a trailing '\n' adds none).
std::vector<std::string> split_lines(const std::string& text);

// Joins argv for messages: each argument single-quoted when it holds anything but [A-Za-z0-9_./=:,+-].
std::string describe_command(const std::vector<std::string>& argv);

}  // namespace mm_test

// The tests use these unqualified.
using mm_test::describe_command;
using mm_test::make_temp_dir;
using mm_test::ProcessResult;
using mm_test::read_file;
using mm_test::run_process;
using mm_test::split_lines;
using mm_test::TempDir;
using mm_test::write_file;
