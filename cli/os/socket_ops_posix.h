// What socket_ops_linux.cc and socket_ops_generic.cc share (defined in socket_ops_posix.cc).
#pragma once

#include "cli/os/socket_ops.h"

namespace seltool::cli {

// sendmsg() of `buffers` with `flags`: the bytes sent, or -1 and errno.
std::ptrdiff_t send_message(int fd, const ConstBuffer* buffers, std::size_t count, int flags);

}  // namespace seltool::cli
