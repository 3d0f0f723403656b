// A second open file description of what a descriptor refers to: see reopen_nonblocking().
#pragma once

#include "lib/unique_fd.h"

namespace seltool::cli {

// Opens what `fd` refers to (a pipe, FIFO or terminal) again, write-only, non-blocking and
// close-on-exec: writes through the copy never block, while the open file description `fd`
// shares with other processes keeps its flags (O_NONBLOCK on it would change them for the shell
// and every other process using it). Linux: open("/proc/self/fd/N") (reopen_linux.cc). Other
// systems have no such call (reopen_other.cc): an empty UniqueFd, as when the open fails.
UniqueFd reopen_nonblocking(int fd);

}  // namespace seltool::cli
