// Opening, accepting and sending on Linux and Android: the flags that make each one system
// call (see socket_ops.h; socket_ops_posix.cc is the portable form of the same).
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cli/os/socket_ops_posix.h"

namespace seltool::cli {

int open_stream_socket(int family) {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int open_datagram_socket(int family) {
  return ::socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

// Linux 3.9 and later spread connections (and datagrams) over the sockets by a hash of the
// peer's address and port.
bool share_listening_port(int fd) { return set_socket_option(fd, SOL_SOCKET, SO_REUSEPORT, 1); }

int accept_connection(int listener, SocketAddress* peer) {
  if (peer) peer->length = sizeof peer->storage;
  return ::accept4(listener, peer ? reinterpret_cast<sockaddr*>(&peer->storage) : nullptr,
                   peer ? &peer->length : nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

std::ptrdiff_t send_some(int fd, const ConstBuffer* buffers, std::size_t count) {
  return send_message(fd, buffers, count, MSG_NOSIGNAL);
}

std::ptrdiff_t send_some_now(int fd, const ConstBuffer* buffers, std::size_t count) {
  return send_message(fd, buffers, count, MSG_DONTWAIT | MSG_NOSIGNAL);
}

// POLLRDHUP: the peer shut down its sending side (FIN); POLLHUP: both sides are shut.
bool peer_ended_stream(int fd) {
  pollfd probe{fd, POLLIN | POLLRDHUP, 0};
  return ::poll(&probe, 1, 0) == 1 && (probe.revents & (POLLRDHUP | POLLHUP)) != 0;
}

std::optional<long> unix_peer_pid(int fd) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == -1 ||
      credentials.pid <= 0) {
    return std::nullopt;
  }
  return long(credentials.pid);
}

int open_directory(const std::string& path) {
  return ::open(path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
}

std::optional<std::uint64_t> bytes_not_received(int fd) {
  int domain = 0;
  socklen_t length = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == -1) return std::nullopt;
  if (domain == AF_UNIX) return 0;
  int count = 0;
  if (::ioctl(fd, SIOCOUTQ, &count) == -1 || count < 0) return std::nullopt;
  return std::uint64_t(count);
}

}  // namespace seltool::cli
