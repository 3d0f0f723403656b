// The socket files seltool creates (`echo --listen unix:PATH` and `unix-listen:` targets), kept
// in one process-wide registry so that they are removed whatever way seltool ends: normally
// (the owner's destructor), by an exception (unwinding), or by a signal (the handlers of
// stop_signals.h call remove_all_created_files()).
//
// The directory of the path is opened once and held: the socket is bound, examined and removed
// relative to that descriptor, never through the path again, and the last component is never
// followed as a symlink. So whoever can rename directories on the path (or replace them with
// symlinks) between these steps can at most make the bind fail or land in another directory;
// seltool removes only the socket it created, from the directory it created it in. The file is
// removed only while it is still that socket (its device and inode, read after bind(), must
// match), so a file another program put there since is left alone.
#pragma once

#include <string>

namespace seltool::cli {

// Binds `fd`, a Unix stream socket, to `path` and listens with `backlog`, creating the socket
// file, and notes the file for removal. 0, or the errno of the call that failed (open of the
// directory, bind, listen...). The full path must fit in sockaddr_un (unix_socket_address()).
int listen_unix_socket(int fd, const std::string& path, int backlog);

// The same without listen(): for a Unix datagram socket.
int bind_unix_socket(int fd, const std::string& path);

// Removes the socket file created at `path` if it is still the one created there, and forgets
// it. A path never noted is left alone.
void remove_created_file(const std::string& path) noexcept;

// Removes every noted file that is still the one seltool created. Async-signal-safe (fstatat,
// unlinkat and atomics only): for a signal handler about to end the process.
void remove_all_created_files() noexcept;

}  // namespace seltool::cli
