// Reading input files safely (files.hpp).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <modelmeter/core/errors.hpp>
#include <modelmeter/core/files.hpp>

namespace modelmeter::core {

namespace {

const char* kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string read_regular_file(const std::filesystem::path& path, const std::string& what, std::size_t max_bytes) {
  const std::string named = what + " '" + path.string() + "'";
  // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0) {
    const int e = errno;
    if (e == ENOENT || e == ENOTDIR) throw InputError(named + " does not exist or is not a file");
    throw InputError("cannot read " + named + ": " + std::strerror(e));
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) throw InputError("cannot read " + named + ": " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) {
    throw InputError(named + " is " + kind_of(st.st_mode) + ", not a regular file (only regular files are read)");
  }
  auto too_large = [&] {
    return InputError(named + " is larger than " + std::to_string(max_bytes) +
                      " bytes, the most an input file may hold");
  };
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) throw too_large();
  std::string text;
  text.resize(static_cast<std::size_t>(st.st_size) + 1);  // one more: a file that grew is noticed
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) {
      if (used > max_bytes) throw too_large();
      text.resize(std::min(max_bytes + 1, used * 2 + 4096));
    }
    const ssize_t n = ::read(f.fd, text.data() + used, text.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw InputError("cannot read " + named + ": " + std::strerror(errno));
    }
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used > max_bytes) throw too_large();
  }
  text.resize(used);
  return text;
}

}  // namespace modelmeter::core
