// Real descriptors for tests, each owned by a UniqueFd and created close-on-exec (so that only
// the descriptors a test passes on purpose reach a child process): pipes, loopback TCP and
// Unix stream sockets, and writing all of a buffer to any of them. Failures throw
// std::system_error naming the call, so a test stops at the first broken step.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/unique_fd.h"

namespace seltool::testing {

// A pipe(2): read_end becomes readable when something is written into write_end.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
Pipe make_pipe();

// Writes all of `bytes` to `fd` (a pipe, FIFO, file or socket), retrying short writes and
// EINTR. Sockets are written with MSG_NOSIGNAL: a closed peer throws EPIPE, it does not kill
// the test with SIGPIPE.
void write_all(int fd, std::string_view bytes);

// A listening TCP socket on 127.0.0.1:port (port 0: any free port).
UniqueFd listen_tcp(int port);
// The local port of a bound socket.
int local_port(int fd);
// A loopback TCP port that was free a moment ago.
int free_tcp_port();
// A loopback TCP listener whose accept queue is full (the connections that fill it are kept
// here): its port drops SYNs, so a connect to it hangs, as behind a firewall that drops.
struct FullListener {
  UniqueFd listener;
  std::vector<UniqueFd> fillers;
  int port = 0;
};
FullListener listen_tcp_full_queue();

// A blocking TCP connection to 127.0.0.1:port, with TCP_NODELAY.
UniqueFd connect_tcp(int port);
// A blocking connection to the Unix stream socket at `path`.
UniqueFd connect_unix(const std::string& path);

}  // namespace seltool::testing
