// UniqueFd on Windows: the only descriptors the library owns there are Winsock sockets (the
// wakeup channel), so "close" is closesocket(). A SOCKET is a kernel handle, which Windows
// keeps within 32 bits, so it fits the int that the whole interface uses (as in CPython).
#include <winsock2.h>

#include "lib/unique_fd.h"

namespace seltool {

void UniqueFd::reset(int fd) noexcept {
  if (fd_ >= 0 && fd_ != fd) ::closesocket(SOCKET(fd_));
  fd_ = fd;
}

}  // namespace seltool
