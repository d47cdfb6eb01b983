// A plugin's bounded reader of a model config file (e.g. a Hugging Face config.json): the hostile-input rules of
// docs/errors.md in one place for every plugin that reads one. Header-only, C++17, POSIX.
#ifndef MODELMETER_CONFIG_FILE_HPP
#define MODELMETER_CONFIG_FILE_HPP

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <modelmeter/sdk.hpp>
#include <string>

namespace modelmeter {

// The whole text of `path`. Only a regular file of at most `max_bytes` is read: opened without blocking (a FIFO
// cannot hang the run), checked with fstat (a device such as /dev/zero is refused), read to at most one byte past
// the cap (a file that grew is noticed). Every refusal is an InvalidArgument naming the path.
inline std::string read_model_config(const std::string& path, std::size_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) throw InvalidArgument(path + ": cannot open the model config: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    throw InvalidArgument(path + ": the model config is not a regular file");
  }
  const auto too_large = [&] {
    return InvalidArgument(path + ": the model config is larger than " + std::to_string(max_bytes) + " bytes");
  };
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) throw too_large();
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t used = 0;
  for (;;) {
    if (used == text.size()) text.resize(std::min<std::size_t>(max_bytes + 1, used * 2));
    const ssize_t n = ::read(fd, text.data() + used, text.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw InvalidArgument(path + ": cannot read the model config: " + std::strerror(errno));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
    if (used > max_bytes) throw too_large();
  }
  text.resize(used);
  return text;
}

}  // namespace modelmeter

#endif  // MODELMETER_CONFIG_FILE_HPP
