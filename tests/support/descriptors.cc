#include "tests/support/descriptors.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdint>
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

}  // namespace

Pipe make_pipe() {
  int ends[2];
  if (::pipe2(ends, O_CLOEXEC) == -1) throw_errno("pipe2");
  return {UniqueFd(ends[0]), UniqueFd(ends[1])};
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
  ::usleep(200 * 1000);  // the handshakes that can complete have completed
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
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) {
    throw std::system_error(ENAMETOOLONG, std::generic_category(), "unix socket " + path);
  }
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    throw_errno("connect unix:" + path);
  }
  return fd;
}

}  // namespace seltool::testing
