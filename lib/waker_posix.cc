// The wakeup channel on POSIX systems: a non-blocking, close-on-exec pipe.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/os_error.h"
#include "lib/waker.h"

namespace seltool {
namespace {

void set_flags(int fd) {
  if (::fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
    throw_os_error(errno, "fcntl(wakeup pipe)");
  }
}

}  // namespace

Selector::Waker::Waker() {
  int ends[2];
  if (::pipe(ends) == -1) throw_os_error(errno, "pipe");
  read_end_.reset(ends[0]);
  write_end_.reset(ends[1]);
  set_flags(ends[0]);
  set_flags(ends[1]);
}

void Selector::Waker::wake() noexcept {
  const int saved_errno = errno;
  const char byte = 1;
  // EAGAIN means the pipe is full: a wakeup is pending already, which is all we need.
  while (::write(write_end_.get(), &byte, 1) == -1 && errno == EINTR) {
  }
  errno = saved_errno;
}

void Selector::Waker::drain() noexcept {
  char buffer[256];
  for (;;) {
    const ssize_t n = ::read(read_end_.get(), buffer, sizeof buffer);
    if (n > 0) continue;
    if (n == -1 && errno == EINTR) continue;
    break;  // empty (EAGAIN) or broken: nothing more to read
  }
}

}  // namespace seltool
