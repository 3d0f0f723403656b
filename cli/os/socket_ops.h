// The socket calls whose portable form differs between operating systems, written once per
// OS family and chosen by cli/os/BUILD (never by #ifdef):
//   socket_ops_posix.cc    what every POSIX system (Linux included) does the same way
//   socket_ops_linux.cc    Linux and Android: opening, accepting and sending with
//                          SOCK_NONBLOCK | SOCK_CLOEXEC, accept4() and MSG_NOSIGNAL (one
//                          system call each)
//   socket_ops_generic.cc  the same for every other POSIX system, and for Linux built with
//                          --config=generic_posix or --config=kqueue_emulated: socket() or
//                          accept() then fcntl(), and SIGPIPE blocked around sendmsg()
//   socket_ops_windows.cc  all of it with Winsock: sockets not inherited, ioctlsocket(),
//                          WSASend()
// Every function fails as POSIX calls do: -1 (or an error number) with errno set to a POSIX
// error number (on Windows translated from WSAGetLastError()), so callers have one error path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "cli/base/const_buffer.h"
#include "cli/os/socket_address.h"

namespace seltool::cli {

// A new non-blocking, close-on-exec (on Windows: not inherited) stream socket; -1 and errno.
int open_stream_socket(int family);

// The same for a datagram socket (UDP, or a Unix datagram socket); -1 and errno.
int open_datagram_socket(int family);

// Lets further sockets bind the address of the listener `fd` (not bound yet), each given its
// share of the new connections or datagrams by the kernel: Linux SO_REUSEPORT, FreeBSD
// SO_REUSEPORT_LB. False (nothing set) where the OS cannot share a port that way (the other
// BSDs' and macOS's SO_REUSEPORT give every connection to one socket; Windows has none): the
// caller then accepts on one socket and hands the connections out itself.
bool share_listening_port(int fd);

// Accepts one pending connection as a non-blocking, close-on-exec socket and stores the peer's
// address in `*peer` when given; -1 and errno (EAGAIN or EWOULDBLOCK: none pending).
int accept_connection(int listener, SocketAddress* peer);

// bind() then listen(): 0, or the errno of the call that failed.
int bind_and_listen(int fd, const SocketAddress& address, int backlog);

// bind() alone (a datagram socket): 0, or its errno.
int bind_socket(int fd, const SocketAddress& address);

// Starts connect() on a non-blocking socket: 0 when it completed at once, EINPROGRESS while
// it goes on (its end makes the socket writable), else the errno of the failure.
int start_connect(int fd, const SocketAddress& address);

// setsockopt() with an int value; false (errno set) when the OS refused it.
bool set_socket_option(int fd, int level, int name, int value);

// Lets a TCP listener bind its port while old connections on it linger (POSIX SO_REUSEADDR,
// TIME_WAIT), never while another socket listens there: on Windows SO_EXCLUSIVEADDRUSE, as
// its SO_REUSEADDR would let a second socket take a port in use.
void reuse_listening_address(int fd);

// Reads and clears the socket's pending error (SO_ERROR): 0 when none, else an errno (also
// the errno of getsockopt() itself when it fails).
int take_socket_error(int fd);

// The bytes that can be read now without blocking (FIONREAD); nullopt when the descriptor
// cannot tell.
std::optional<std::uint64_t> bytes_available(int fd);

// Shuts down the sending side (a FIN after the bytes queued): 0, or -1 and errno.
int shutdown_sending(int fd);

// Bytes sent on a stream socket that the peer has not received yet, where the OS tells: Linux
// counts the TCP bytes not acknowledged (SIOCOUTQ) and 0 for a Unix socket (what is sent is in
// the peer's queue already). nullopt elsewhere, and when the call fails.
std::optional<std::uint64_t> bytes_not_received(int fd);

// Sends from `buffers` in order (one system call), never raising SIGPIPE: a peer that is gone
// is EPIPE or ECONNRESET. The bytes sent, or -1 and errno.
std::ptrdiff_t send_some(int fd, const ConstBuffer* buffers, std::size_t count);
inline std::ptrdiff_t send_some(int fd, const void* data, std::size_t size) {
  const ConstBuffer buffer{data, size};
  return send_some(fd, &buffer, 1);
}

// send_some() that does not block even on a blocking socket (MSG_DONTWAIT): for stdout when
// it is a socket, whose blocking mode seltool must not change (other processes share it).
std::ptrdiff_t send_some_now(int fd, const ConstBuffer* buffers, std::size_t count);

// The process id of a connected Unix socket's peer where the OS says (Linux: SO_PEERCRED);
// nullopt elsewhere, and for other sockets.
std::optional<long> unix_peer_pid(int fd);

// Whether the peer of a connected stream socket has ended its stream (a read returns 0 once
// the data before the end is read), asked without reading or clearing SO_ERROR where the OS
// can (Linux: POLLRDHUP); elsewhere a non-blocking MSG_PEEK of one byte.
bool peer_ended_stream(int fd);

// recv() of at most `size` bytes: the bytes read, 0 at the end of stream, or -1 and errno.
std::ptrdiff_t receive_some(int fd, void* data, std::size_t size);

// Receives one datagram into `data` and its sender's address into `*from` (length 0 for a
// sender without one: an unbound Unix socket). Its size, or -1 and errno; `*truncated` says
// whether it was larger than `size` (the rest is discarded, as the kernel does).
std::ptrdiff_t receive_datagram(int fd, void* data, std::size_t size, SocketAddress* from,
                                bool* truncated);

// Sends `size` bytes as one datagram to `to`: the bytes sent (all), or -1 and errno (EAGAIN or
// EWOULDBLOCK: the send buffer is full now).
std::ptrdiff_t send_datagram(int fd, const void* data, std::size_t size, const SocketAddress& to);

}  // namespace seltool::cli
