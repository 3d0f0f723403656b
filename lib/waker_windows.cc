// The wakeup channel on Windows: a connected pair of loopback TCP sockets, because select()
// there watches sockets only. wake() sends a byte on one end, consume() empties the other. Both are
// created non-inheritable (WSA_FLAG_NO_HANDLE_INHERIT), the close-on-exec of Windows.
#include <errno.h>
#include <winsock2.h>

#include <cstring>
#include <system_error>

#include "lib/selectors.h"
#include "lib/unique_fd.h"
#include "lib/waker.h"
#include "lib/winsock_setup.h"

namespace seltool {
namespace {

// Owns `s` as the library's int descriptor (descriptor_from: checked, never cut).
UniqueFd owned(SOCKET s) {
  try {
    return UniqueFd(descriptor_from(s));
  } catch (...) {
    ::closesocket(s);
    throw;
  }
}

// A TCP socket that child processes do not inherit.
UniqueFd open_tcp_socket() {
  const SOCKET s = ::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0,
                                WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
  if (s == INVALID_SOCKET) winsock::throw_last_error("socket(wakeup channel)");
  return owned(s);
}

SOCKET handle(const UniqueFd& fd) { return SOCKET(fd.get()); }

void check(int result, const char* what) {
  if (result == SOCKET_ERROR) winsock::throw_last_error(what);
}

class SocketPairWaker final : public Waker {
 public:
  SocketPairWaker();

  int fd() const noexcept override { return read_end_.get(); }
  void wake() noexcept override;
  void consume() noexcept override;
  void close() noexcept override {
    read_end_.reset();
    write_end_.reset();
  }

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
};

SocketPairWaker::SocketPairWaker() {
  winsock::ensure_started();
  UniqueFd listener = open_tcp_socket();
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int length = sizeof address;
  check(::bind(handle(listener), reinterpret_cast<sockaddr*>(&address), sizeof address),
        "bind(wakeup channel)");
  check(::listen(handle(listener), 1), "listen(wakeup channel)");
  check(::getsockname(handle(listener), reinterpret_cast<sockaddr*>(&address), &length),
        "getsockname(wakeup channel)");

  UniqueFd writer = open_tcp_socket();
  check(::connect(handle(writer), reinterpret_cast<sockaddr*>(&address), sizeof address),
        "connect(wakeup channel)");
  sockaddr_in peer{};
  length = sizeof peer;
  const SOCKET accepted = ::accept(handle(listener), reinterpret_cast<sockaddr*>(&peer), &length);
  if (accepted == INVALID_SOCKET) winsock::throw_last_error("accept(wakeup channel)");
  UniqueFd reader = owned(accepted);

  // Another local process could have connected first: accept only our own writer.
  sockaddr_in writer_address{};
  length = sizeof writer_address;
  check(::getsockname(handle(writer), reinterpret_cast<sockaddr*>(&writer_address), &length),
        "getsockname(wakeup channel)");
  if (peer.sin_port != writer_address.sin_port ||
      peer.sin_addr.s_addr != writer_address.sin_addr.s_addr) {
    throw std::system_error(WSAECONNREFUSED, std::system_category(),
                            "wakeup channel: an unexpected peer connected");
  }

  u_long non_blocking = 1;
  check(::ioctlsocket(handle(reader), FIONBIO, &non_blocking), "ioctlsocket(wakeup channel)");
  check(::ioctlsocket(handle(writer), FIONBIO, &non_blocking), "ioctlsocket(wakeup channel)");
  read_end_ = std::move(reader);
  write_end_ = std::move(writer);
}

void SocketPairWaker::wake() noexcept {
  const int saved_errno = errno;
  const int saved_error = ::WSAGetLastError();
  const char byte = 1;
  // WSAEWOULDBLOCK means the channel is full: a wakeup is pending already.
  ::send(SOCKET(write_end_.get()), &byte, 1, 0);
  ::WSASetLastError(saved_error);
  errno = saved_errno;
}

void SocketPairWaker::consume() noexcept {
  char buffer[256];
  while (::recv(SOCKET(read_end_.get()), buffer, sizeof buffer, 0) > 0) {
  }
}

}  // namespace

std::unique_ptr<Waker> make_descriptor_waker() { return std::make_unique<SocketPairWaker>(); }

}  // namespace seltool
