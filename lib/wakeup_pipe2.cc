// open_wakeup_pipe() where pipe2() exists (the BSDs, Solaris, illumos): both flags are set
// in the same call, so a fork() in another thread cannot leak the pipe into a child.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/os_error.h"
#include "lib/waker.h"

namespace seltool {

void open_wakeup_pipe(int ends[2]) {
  if (::pipe2(ends, O_CLOEXEC | O_NONBLOCK) == -1) throw_os_error(errno, "pipe2(wakeup channel)");
}

}  // namespace seltool
