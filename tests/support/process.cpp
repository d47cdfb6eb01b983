#include "support/process.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <vector>

extern char** environ;

namespace mm_test {

namespace {

std::string temp_root() {
  const char* t = std::getenv("TMPDIR");
  std::string root = (t != nullptr && *t != '\0') ? t : "/tmp";
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

[[noreturn]] void fail_errno(const std::string& what, int e) {
  throw std::runtime_error(what + ": " + std::strerror(e));
}

// A temporary file opened for writing, close-on-exec (the child gets it only through dup2), unlinked on exit.
struct CaptureFile {
  std::string path;
  int fd = -1;
  CaptureFile() {
    std::string tmpl = temp_root() + "/modelmeter-capture-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    fd = ::mkostemp(buf.data(), O_CLOEXEC);
    if (fd < 0) fail_errno("run_process: cannot create a capture file in " + temp_root(), errno);
    path = buf.data();
  }
  ~CaptureFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
  CaptureFile(const CaptureFile&) = delete;
  CaptureFile& operator=(const CaptureFile&) = delete;
};

struct FileActions {
  posix_spawn_file_actions_t fa;
  FileActions() {
    if (int e = posix_spawn_file_actions_init(&fa); e != 0) fail_errno("posix_spawn_file_actions_init", e);
  }
  ~FileActions() { posix_spawn_file_actions_destroy(&fa); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

std::vector<std::string> child_environment(const std::vector<std::pair<std::string, std::string>>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& kv : extra) replaced = replaced || kv.first == name;
    if (!replaced) env.push_back(entry);
  }
  for (std::size_t i = 0; i < extra.size(); ++i) {
    bool later = false;  // the last assignment of a name wins
    for (std::size_t j = i + 1; j < extra.size(); ++j) later = later || extra[j].first == extra[i].first;
    if (!later) env.push_back(extra[i].first + "=" + extra[i].second);
  }
  return env;
}

}  // namespace

std::string describe_command(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) {
    if (!s.empty()) s += ' ';
    bool plain = !a.empty();
    for (char c : a) {
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::strchr("_./=:,+-", c) != nullptr);
    }
    if (plain) {
      s += a;
    } else {
      s += '\'';
      for (char c : a) s += c == '\'' ? std::string("'\\''") : std::string(1, c);
      s += '\'';
    }
  }
  return s;
}

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env, const std::string& cwd) {
  if (argv.empty() || argv[0].empty()) throw std::runtime_error("run_process: empty command");
  if (!cwd.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(cwd, ec)) {
      throw std::runtime_error("run_process: working directory '" + cwd + "' does not exist");
    }
  }

  CaptureFile out, err;
  FileActions actions;
  if (int e = posix_spawn_file_actions_addopen(&actions.fa, 0, "/dev/null", O_RDONLY, 0); e != 0) {
    fail_errno("posix_spawn_file_actions_addopen", e);
  }
  if (int e = posix_spawn_file_actions_adddup2(&actions.fa, out.fd, 1); e != 0) fail_errno("adddup2", e);
  if (int e = posix_spawn_file_actions_adddup2(&actions.fa, err.fd, 2); e != 0) fail_errno("adddup2", e);
  if (!cwd.empty()) {
    if (int e = posix_spawn_file_actions_addchdir_np(&actions.fa, cwd.c_str()); e != 0) fail_errno("addchdir", e);
  }

  std::vector<std::string> args = argv;
  std::vector<char*> c_args;
  for (auto& a : args) c_args.push_back(a.data());
  c_args.push_back(nullptr);
  std::vector<std::string> env = child_environment(extra_env);
  std::vector<char*> c_env;
  for (auto& e : env) c_env.push_back(e.data());
  c_env.push_back(nullptr);

  pid_t pid = -1;
  // posix_spawnp searches PATH for a name without '/', and a relative path is taken from our own cwd:
  // resolve it first so a `cwd` for the child does not change which program runs.
  std::string program = argv[0];
  if (program.find('/') != std::string::npos && program.front() != '/') {
    program = std::filesystem::absolute(program).string();
  }
  if (int e = posix_spawnp(&pid, program.c_str(), &actions.fa, nullptr, c_args.data(), c_env.data()); e != 0) {
    fail_errno("run_process: cannot start " + describe_command(argv), e);
  }

  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, 0);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) fail_errno("run_process: waitpid", errno);
  }

  ProcessResult result;
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.exit_code = 128 + WTERMSIG(status);
  }
  result.out = read_file(out.path);
  result.err = read_file(err.path);
  return result;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open '" + path + "' for reading");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) throw std::runtime_error("cannot open '" + path + "' for writing");
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!f) throw std::runtime_error("cannot write '" + path + "'");
}

std::string make_temp_dir(const std::string& prefix) {
  std::string tmpl = temp_root() + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) fail_errno("make_temp_dir: cannot create " + tmpl, errno);
  return buf.data();
}

TempDir::TempDir(const std::string& prefix) : path_(make_temp_dir(prefix)) {}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

}  // namespace mm_test
