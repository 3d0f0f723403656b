#include "tests/support/descriptors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace seltool::testing {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(std::uint16_t(port));
  return address;
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(), "unix socket " + path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

bool ready_within(int fd, short events, std::chrono::milliseconds timeout) {
  pollfd entry{fd, events, 0};
  int n;
  do {
    n = ::poll(&entry, 1, int(timeout.count()));
  } while (n == -1 && errno == EINTR);
  return n == 1;
}

// Whether the accept queue of a listening TCP socket is full, so that the kernel drops the
// SYNs of new connections. Linux's TCP_INFO of a listener holds the queue's length
// (tcpi_unacked) and its limit (tcpi_sacked); elsewhere: whether a filler got connected.
bool accept_queue_full(const FullListener& full) {
#if defined(__linux__)
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(full.listener.get(), IPPROTO_TCP, TCP_INFO, &info, &length) == -1) {
    throw_errno("getsockopt TCP_INFO");
  }
  return info.tcpi_unacked > info.tcpi_sacked;
#else
  return std::any_of(full.fillers.begin(), full.fillers.end(),
                     [](const UniqueFd& filler) { return writable_within(filler.get(), 0ms); });
#endif
}

}  // namespace

Pipe make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) == -1) throw_errno("pipe2");
  return {UniqueFd(ends[0]), UniqueFd(ends[1])};
}

void Socket::send(std::string_view bytes) const { write_all(fileno(), bytes); }

std::string Socket::recv(std::size_t max_bytes) const {
  std::string buffer(max_bytes, '\0');
  ssize_t n;
  do {
    n = ::read(fileno(), buffer.data(), buffer.size());
  } while (n == -1 && errno == EINTR);
  if (n == -1) throw_errno("read from descriptor " + std::to_string(fileno()));
  buffer.resize(std::size_t(n));
  return buffer;
}

SocketPair make_socketpair() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == -1) throw_errno("socketpair");
  return SocketPair{Socket(ends[0]), Socket(ends[1])};
}

void write_all(int fd, std::string_view bytes) {
  bool socket = true;
  while (!bytes.empty()) {
    ssize_t n = socket ? ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) : -1;
    if (n == -1 && errno == ENOTSOCK) socket = false;
    if (!socket) n = ::write(fd, bytes.data(), bytes.size());
    if (n == -1 && errno == EINTR) continue;
    if (n <= 0) throw_errno("write to descriptor " + std::to_string(fd));
    bytes.remove_prefix(std::size_t(n));
  }
}

void set_nonblocking(int fd) {
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) throw_errno("O_NONBLOCK");
}

bool readable_within(int fd, std::chrono::milliseconds timeout) {
  return ready_within(fd, POLLIN, timeout);
}

bool writable_within(int fd, std::chrono::milliseconds timeout) {
  return ready_within(fd, POLLOUT, timeout);
}

std::string read_exact(int fd, std::size_t size, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string data;
  char chunk[65536];
  while (data.size() < size) {
    if (!readable_within(fd, time_left(deadline))) break;
    const ssize_t n = ::read(fd, chunk, std::min(sizeof chunk, size - data.size()));
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    data.append(chunk, std::size_t(n));
  }
  return data;
}

std::string read_until_eof(int fd, std::chrono::milliseconds timeout, bool* eof) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string data;
  char chunk[65536];
  if (eof) *eof = false;
  while (readable_within(fd, time_left(deadline))) {
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n == -1 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      if (eof) *eof = true;
      break;
    }
    data.append(chunk, std::size_t(n));
  }
  return data;
}

UniqueFd listen_tcp(int port) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) throw_errno("socket");
  const int on = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const sockaddr_in address = loopback(port);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw_errno("bind 127.0.0.1:" + std::to_string(port));
  }
  if (::listen(listener.get(), 16) == -1) throw_errno("listen");
  return listener;
}

UniqueFd listen_unix(const std::string& path) {
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) throw_errno("socket");
  const sockaddr_un address = unix_address(path);
  if (::bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw_errno("bind unix:" + path);
  }
  if (::listen(listener.get(), 4) == -1) throw_errno("listen unix:" + path);
  return listener;
}

int local_port(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == -1) {
    throw_errno("getsockname");
  }
  return ntohs(address.sin_port);
}

int free_tcp_port() { return local_port(listen_tcp(0).get()); }

FullListener listen_tcp_full_queue() {
  FullListener full;
  full.listener = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!full.listener) throw_errno("socket");
  const sockaddr_in any_port = loopback(0);
  if (::bind(full.listener.get(), reinterpret_cast<const sockaddr*>(&any_port), sizeof any_port) ==
          -1 ||
      ::listen(full.listener.get(), 0) == -1) {
    throw_errno("listen with backlog 0");
  }
  full.port = local_port(full.listener.get());
  const sockaddr_in address = loopback(full.port);
  for (int i = 0; i < 4; ++i) {  // more than a backlog of 0 admits
    full.fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!full.fillers.back()) throw_errno("socket");
    ::connect(full.fillers.back().get(), reinterpret_cast<const sockaddr*>(&address),
              sizeof address);
  }
  // The handshakes complete in the kernel, asynchronously: wait until the queue is full.
  if (!wait_until([&] { return accept_queue_full(full); }, 20s)) {
    throw std::system_error(ETIMEDOUT, std::generic_category(), "filling an accept queue");
  }
  return full;
}

UniqueFd connect_tcp(int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  const sockaddr_in address = loopback(port);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw_errno("connect 127.0.0.1:" + std::to_string(port));
  }
  const int on = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

UniqueFd connect_unix(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw_errno("socket");
  const sockaddr_un address = unix_address(path);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw_errno("connect unix:" + path);
  }
  return fd;
}

UniqueFd make_temp_file() {
  const char* dir = std::getenv("TEST_TMPDIR");
  if (!dir) dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/seltool-test-XXXXXX";
  UniqueFd fd(::mkostemp(path.data(), O_CLOEXEC));
  if (!fd) throw_errno("mkostemp " + path);
  ::unlink(path.c_str());
  return fd;
}

int make_bad_fd() {
  UniqueFd file = make_temp_file();
  return file.get();  // closed when `file` goes out of scope
}

int count_open_fds() {
  const int limit = int(std::min(::sysconf(_SC_OPEN_MAX), 65536L));
  int open = 0;
  for (int fd = 0; fd < limit; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) ++open;
  }
  return open;
}

bool exists(const std::string& path) {
  struct stat status {};
  return ::stat(path.c_str(), &status) == 0;
}

ScopedFdLimit::ScopedFdLimit() {
  if (::getrlimit(RLIMIT_NOFILE, &previous_) == -1) throw_errno("getrlimit");
  rlimit raised = previous_;
  raised.rlim_cur = std::min<rlim_t>(previous_.rlim_max, 65536);
  limit_ = int(::setrlimit(RLIMIT_NOFILE, &raised) == 0 ? raised.rlim_cur : previous_.rlim_cur);
}

ScopedFdLimit::~ScopedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &previous_); }

}  // namespace seltool::testing
