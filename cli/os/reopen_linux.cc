#include <fcntl.h>

#include <string>

#include "cli/os/reopen.h"

namespace seltool::cli {

UniqueFd reopen_nonblocking(int fd) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  return UniqueFd(::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
}

}  // namespace seltool::cli
