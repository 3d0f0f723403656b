// A second open file description of what a descriptor refers to (a pipe, FIFO or terminal),
// made non-blocking, so that O_NONBLOCK never touches the description seltool shares with
// other processes. Per OS: reopen_linux.cc (through /proc/self/fd), reopen_generic.cc (no
// portable way: other systems' /dev/fd/N duplicates the same description instead).
#pragma once

#include "lib/unique_fd.h"

namespace seltool::cli {

// The new descriptor (close-on-exec), or an empty UniqueFd where that cannot be done.
UniqueFd reopen_nonblocking(int fd);

}  // namespace seltool::cli
