// The socket calls every POSIX system makes the same way (see socket_ops.h).
#include "cli/os/socket_ops_posix.h"

#include <errno.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

namespace seltool::cli {

int bind_and_listen(int fd, const SocketAddress& address, int backlog) {
  if (::bind(fd, address.get(), address.length) == -1 || ::listen(fd, backlog) == -1) {
    return errno;
  }
  return 0;
}

int bind_socket(int fd, const SocketAddress& address) {
  return ::bind(fd, address.get(), address.length) == -1 ? errno : 0;
}

int start_connect(int fd, const SocketAddress& address) {
  return ::connect(fd, address.get(), address.length) == 0 ? 0 : errno;
}

bool set_socket_option(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

void reuse_listening_address(int fd) { set_socket_option(fd, SOL_SOCKET, SO_REUSEADDR, 1); }

int take_socket_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == -1) return errno;
  return error;
}

int shutdown_sending(int fd) { return ::shutdown(fd, SHUT_WR); }

std::optional<std::uint64_t> bytes_available(int fd) {
  int count = 0;
  if (::ioctl(fd, FIONREAD, &count) == -1 || count < 0) return std::nullopt;
  return std::uint64_t(count);
}

std::ptrdiff_t send_message(int fd, const ConstBuffer* buffers, std::size_t count, int flags) {
  std::vector<iovec> vector(count);
  for (std::size_t i = 0; i < count; ++i) {
    vector[i] = iovec{const_cast<void*>(buffers[i].data), buffers[i].size};
  }
  msghdr message{};
  message.msg_iov = vector.data();
  message.msg_iovlen = decltype(message.msg_iovlen)(count);
  return ::sendmsg(fd, &message, flags);
}

std::ptrdiff_t receive_some(int fd, void* data, std::size_t size) {
  return ::recv(fd, data, size, 0);
}

std::ptrdiff_t receive_datagram(int fd, void* data, std::size_t size, SocketAddress* from,
                                bool* truncated) {
  iovec vector{data, size};
  msghdr message{};
  message.msg_name = &from->storage;
  message.msg_namelen = sizeof from->storage;
  message.msg_iov = &vector;
  message.msg_iovlen = 1;
  const std::ptrdiff_t n = ::recvmsg(fd, &message, 0);
  from->length = n < 0 ? 0 : message.msg_namelen;
  *truncated = n >= 0 && (message.msg_flags & MSG_TRUNC) != 0;
  return n;
}

std::ptrdiff_t send_datagram(int fd, const void* data, std::size_t size, const SocketAddress& to) {
  return ::sendto(fd, data, size, 0, to.get(), to.length);
}

}  // namespace seltool::cli
