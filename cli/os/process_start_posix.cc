#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "cli/base/exit_codes.h"
#include "cli/os/process_start.h"
#include "cli/os/stop_signals.h"

namespace seltool::cli {

void prepare_process() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    // The lowest free number is `fd`, as the ones below it are open. Inheritable, as a standard
    // descriptor should be for `wait -- COMMAND`.
    const int opened = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened != fd) ::_exit(kExitInternal);
  }
  install_signal_cleanup();
}

}  // namespace seltool::cli
