// open_wakeup_pipe() where pipe2() is missing (macOS, iOS) or not known to exist (other
// POSIX systems): pipe() and then fcntl(). A fork() and exec() in another thread between the
// two calls leaks the pipe into that program; these systems offer no atomic way. On macOS the
// kqueue backend, the default, does not use this pipe (its wakeup is EVFILT_USER): only poll
// and select selectors do.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/os_error.h"
#include "lib/unique_fd.h"
#include "lib/waker.h"

namespace seltool {

void open_wakeup_pipe(int ends[2]) {
  if (::pipe(ends) == -1) throw_os_error(errno, "pipe(wakeup channel)");
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  for (const int fd : {ends[0], ends[1]}) {
    if (::fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
      throw_os_error(errno, "fcntl(wakeup channel)");
    }
  }
  read_end.release();
  write_end.release();
}

}  // namespace seltool
