// The socket calls of socket_ops.h with Winsock. A SOCKET becomes the int the whole program
// uses through seltool::descriptor_from (checked, never cut; lib/selectors.h), and Winsock's errors
// become the POSIX errno values mingw and MSVC define, so the callers' error handling and JSON
// error codes are the same as on POSIX.
#include <errno.h>

#include <iterator>

#include "cli/os/socket_ops.h"
#include "lib/selectors.h"
#include "lib/winsock_setup.h"

namespace seltool::cli {
namespace {

// Winsock must be started before the first getaddrinfo() or socket(), which come before the
// selector (which starts it too: WSAStartup counts its callers).
const bool kWinsockStarted = (winsock::ensure_started(), true);

SOCKET handle(int fd) { return SOCKET(fd); }

int errno_of(int wsa_error) {
  switch (wsa_error) {
    case WSAEWOULDBLOCK:
      return EWOULDBLOCK;
    case WSAEINPROGRESS:
      return EINPROGRESS;
    case WSAEALREADY:
      return EALREADY;
    case WSAEINTR:
      return EINTR;
    case WSAEBADF:
    case WSAENOTSOCK:
      return ENOTSOCK;
    case WSAEACCES:
      return EACCES;
    case WSAEFAULT:
    case WSAEINVAL:
      return EINVAL;
    case WSAEMFILE:
      return EMFILE;
    case WSAENOBUFS:
      return ENOBUFS;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT:
      return EAFNOSUPPORT;
    case WSAEADDRINUSE:
      return EADDRINUSE;
    case WSAEADDRNOTAVAIL:
      return EADDRNOTAVAIL;
    case WSAENETDOWN:
      return ENETDOWN;
    case WSAENETUNREACH:
      return ENETUNREACH;
    case WSAECONNABORTED:
      return ECONNABORTED;
    case WSAECONNRESET:
    case WSAENETRESET:
      return ECONNRESET;
    case WSAESHUTDOWN:
      return EPIPE;
    case WSAENOTCONN:
      return ENOTCONN;
    case WSAETIMEDOUT:
      return ETIMEDOUT;
    case WSAECONNREFUSED:
      return ECONNREFUSED;
    case WSAEHOSTUNREACH:
    case WSAEHOSTDOWN:
      return EHOSTUNREACH;
    default:
      return wsa_error;  // named "E<number>" in the JSON error
  }
}

int fail() {
  errno = errno_of(::WSAGetLastError());
  return -1;
}

// Non-blocking, and not inherited by child processes (the close-on-exec of Windows).
int prepared(SOCKET s) {
  if (s == INVALID_SOCKET) return fail();
  u_long on = 1;
  if (::ioctlsocket(s, FIONBIO, &on) == SOCKET_ERROR ||
      !::SetHandleInformation(HANDLE(s), HANDLE_FLAG_INHERIT, 0)) {
    const int error = ::WSAGetLastError();
    ::closesocket(s);
    errno = errno_of(error);
    return -1;
  }
  try {
    return descriptor_from(s);
  } catch (const std::out_of_range&) {  // a handle value Windows does not give out
    ::closesocket(s);
    errno = EMFILE;
    return -1;
  }
}

}  // namespace

int open_stream_socket(int family) {
  // WSA_FLAG_NO_HANDLE_INHERIT: not inherited from the start (Windows 7 SP1 and later).
  return prepared(::WSASocketW(family, SOCK_STREAM, 0, nullptr, 0,
                               WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
}

int open_datagram_socket(int family) {
  return prepared(::WSASocketW(family, SOCK_DGRAM, 0, nullptr, 0,
                               WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
}

// Windows has no SO_REUSEPORT (its SO_REUSEADDR lets another socket take the port).
bool share_listening_port(int) { return false; }

int accept_connection(int listener, SocketAddress* peer) {
  int length = sizeof peer->storage;
  if (peer) peer->length = length;
  const SOCKET s =
      ::accept(handle(listener), peer ? reinterpret_cast<sockaddr*>(&peer->storage) : nullptr,
               peer ? &length : nullptr);
  if (peer) peer->length = length;
  return prepared(s);
}

int bind_and_listen(int fd, const SocketAddress& address, int backlog) {
  if (::bind(handle(fd), address.get(), address.length) == SOCKET_ERROR ||
      ::listen(handle(fd), backlog) == SOCKET_ERROR) {
    return errno_of(::WSAGetLastError());
  }
  return 0;
}

int bind_socket(int fd, const SocketAddress& address) {
  return ::bind(handle(fd), address.get(), address.length) == SOCKET_ERROR
             ? errno_of(::WSAGetLastError())
             : 0;
}

int start_connect(int fd, const SocketAddress& address) {
  if (::connect(handle(fd), address.get(), address.length) == 0) return 0;
  const int error = ::WSAGetLastError();
  // A non-blocking connect in progress is WSAEWOULDBLOCK on Windows.
  return error == WSAEWOULDBLOCK ? EINPROGRESS : errno_of(error);
}

bool set_socket_option(int fd, int level, int name, int value) {
  if (::setsockopt(handle(fd), level, name, reinterpret_cast<const char*>(&value), sizeof value) ==
      SOCKET_ERROR) {
    return fail(), false;
  }
  return true;
}

void reuse_listening_address(int fd) { set_socket_option(fd, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1); }

int take_socket_error(int fd) {
  int error = 0;
  int length = sizeof error;
  if (::getsockopt(handle(fd), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &length) ==
      SOCKET_ERROR) {
    return errno_of(::WSAGetLastError());
  }
  return error == 0 ? 0 : errno_of(error);
}

int shutdown_sending(int fd) {
  return ::shutdown(handle(fd), SD_SEND) == SOCKET_ERROR ? fail() : 0;
}

// Windows has no count of the bytes a peer has not acknowledged.
std::optional<std::uint64_t> bytes_not_received(int) { return std::nullopt; }

std::optional<std::uint64_t> bytes_available(int fd) {
  u_long count = 0;
  if (::ioctlsocket(handle(fd), FIONREAD, &count) == SOCKET_ERROR) return std::nullopt;
  return std::uint64_t(count);
}

std::ptrdiff_t send_some(int fd, const ConstBuffer* buffers, std::size_t count) {
  WSABUF list[8];
  if (count > std::size(list)) count = std::size(list);  // a partial send, as POSIX allows
  for (std::size_t i = 0; i < count; ++i) {
    list[i].buf = static_cast<char*>(const_cast<void*>(buffers[i].data));
    list[i].len = ULONG(buffers[i].size);
  }
  DWORD sent = 0;
  if (::WSASend(handle(fd), list, DWORD(count), &sent, 0, nullptr, nullptr) == SOCKET_ERROR) {
    return fail();
  }
  return std::ptrdiff_t(sent);
}

// The sockets seltool opens on Windows are all non-blocking already.
std::ptrdiff_t send_some_now(int fd, const ConstBuffer* buffers, std::size_t count) {
  return send_some(fd, buffers, count);
}

std::ptrdiff_t receive_some(int fd, void* data, std::size_t size) {
  const int n = ::recv(handle(fd), static_cast<char*>(data), int(size), 0);
  return n == SOCKET_ERROR ? fail() : n;
}

std::ptrdiff_t receive_datagram(int fd, void* data, std::size_t size, SocketAddress* from,
                                bool* truncated) {
  int length = sizeof from->storage;
  const int n = ::recvfrom(handle(fd), static_cast<char*>(data), int(size), 0,
                           reinterpret_cast<sockaddr*>(&from->storage), &length);
  const int error = n == SOCKET_ERROR ? ::WSAGetLastError() : 0;
  // A datagram larger than the buffer fills it and fails with WSAEMSGSIZE.
  *truncated = error == WSAEMSGSIZE;
  from->length = error == 0 || *truncated ? length : 0;
  if (error == 0) return n;
  if (*truncated) return std::ptrdiff_t(size);
  errno = errno_of(error);
  return -1;
}

std::ptrdiff_t send_datagram(int fd, const void* data, std::size_t size, const SocketAddress& to) {
  const int n =
      ::sendto(handle(fd), static_cast<const char*>(data), int(size), 0, to.get(), int(to.length));
  return n == SOCKET_ERROR ? fail() : n;
}

// The sockets seltool watches on Windows are its own, non-blocking: a peek cannot block.
bool peer_ended_stream(int fd) {
  char byte;
  return ::recv(handle(fd), &byte, 1, MSG_PEEK) == 0;
}

// No portable way to ask (macOS has LOCAL_PEERPID, the BSDs only getpeereid's user ids).
std::optional<long> unix_peer_pid(int) { return std::nullopt; }

}  // namespace seltool::cli
