// What socket_ops_linux.cc and socket_ops_generic.cc share (defined in socket_ops_posix.cc).
#pragma once

#include <string>

#include "cli/os/socket_ops.h"

namespace seltool::cli {

// sendmsg() of `buffers` with `flags`: the bytes sent, or -1 and errno.
std::ptrdiff_t send_message(int fd, const ConstBuffer* buffers, std::size_t count, int flags);

// The directory at `path` (symlinks followed), opened close-on-exec to bind, examine and
// remove files in it (created_files_posix.cc), not to read it: with O_PATH on Linux, so that
// search permission is enough, as for bind() by path; elsewhere for reading. -1 and errno.
int open_directory(const std::string& path);

}  // namespace seltool::cli
