// Real descriptors for tests, each owned by a UniqueFd and created close-on-exec (so that only
// the descriptors a test passes on purpose reach a child process): pipes, socket pairs,
// loopback TCP and Unix stream sockets, temporary files; writing all of a buffer to any of
// them and reading back with a bound. Failures throw std::system_error naming the call, so a
// test stops at the first broken step.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/unique_fd.h"
#include "tests/support/clock.h"

namespace seltool::testing {

// A pipe(2): read_end becomes readable when something is written into write_end.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
Pipe make_pipe();

// A connected stream socket end, like a Python socket object: a file object whose fileno()
// is -1 once close() was called.
class Socket {
 public:
  explicit Socket(int fd) noexcept : fd_(fd) {}
  int fileno() const noexcept { return fd_.get(); }
  void close() noexcept { fd_.reset(); }
  // Writes all of `bytes` (write_all).
  void send(std::string_view bytes) const;
  // Reads what is there, at most `max_bytes` (blocking until something arrives; "" at EOF).
  std::string recv(std::size_t max_bytes) const;

 private:
  UniqueFd fd_;
};

// Two connected AF_UNIX stream sockets (Python's socket.socketpair()).
struct SocketPair {
  Socket first;
  Socket second;
};
SocketPair make_socketpair();

// Writes all of `bytes` to `fd` (a pipe, FIFO, file or socket), retrying short writes and
// EINTR. Sockets are written with MSG_NOSIGNAL: a closed peer throws EPIPE, it does not kill
// the test with SIGPIPE.
void write_all(int fd, std::string_view bytes);

void set_nonblocking(int fd);
// True when `fd` becomes readable (or reaches its end) within `timeout`.
bool readable_within(int fd, std::chrono::milliseconds timeout);
// True when `fd` becomes writable within `timeout`.
bool writable_within(int fd, std::chrono::milliseconds timeout);
// Reads exactly `size` bytes unless the end or `timeout` comes first.
std::string read_exact(int fd, std::size_t size, std::chrono::milliseconds timeout = 10s);
// Reads until the end of the stream or `timeout`; `eof`, when given, tells which.
std::string read_until_eof(int fd, std::chrono::milliseconds timeout = 10s, bool* eof = nullptr);

// A listening TCP socket on 127.0.0.1:port (port 0: any free port).
UniqueFd listen_tcp(int port);
// A listening Unix stream socket bound to `path`.
UniqueFd listen_unix(const std::string& path);
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

// A regular file, already unlinked (in TEST_TMPDIR or TMPDIR), open for reading and writing.
UniqueFd make_temp_file();
// A descriptor number that is not open: a temporary file's, closed (Python's make_bad_fd).
int make_bad_fd();
// How many descriptors are open now (fcntl F_GETFD on every number below the soft limit).
int count_open_fds();
// Whether something exists at `path` (stat).
bool exists(const std::string& path);

// Raises the soft RLIMIT_NOFILE to the hard limit (at most 65536, as CPython's test does);
// the destructor restores the previous limits.
class ScopedFdLimit {
 public:
  ScopedFdLimit();
  ~ScopedFdLimit();
  ScopedFdLimit(const ScopedFdLimit&) = delete;
  ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;
  // The soft limit now in force (the old one when it could not be raised).
  int limit() const { return limit_; }

 private:
  rlimit previous_{};
  int limit_ = 0;
};

}  // namespace seltool::testing
