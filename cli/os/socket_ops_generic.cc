// Opening, accepting and sending with POSIX calls only (see socket_ops.h): what macOS, the
// BSDs, Solaris, illumos and any other POSIX system run, and Linux with --config=generic_posix
// or --config=kqueue_emulated, so that CI runs these lines too.
//
// Not atomic: between socket()/accept() and fcntl(FD_CLOEXEC) another thread's fork+exec
// could inherit the descriptor. Nothing in seltool execs while another of its threads opens
// one: only `echo --workers` opens descriptors in several threads, and it never execs.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/os/socket_ops_posix.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// Makes `fd` non-blocking and close-on-exec; takes it (closed on failure): the descriptor,
// or -1 and errno.
int nonblocking_cloexec(int fd) {
  UniqueFd owned(fd);
  if (!owned) return -1;
  const int status_flags = ::fcntl(fd, F_GETFL);
  const int descriptor_flags = ::fcntl(fd, F_GETFD);
  if (status_flags == -1 || descriptor_flags == -1 ||
      ::fcntl(fd, F_SETFL, status_flags | O_NONBLOCK) == -1 ||
      ::fcntl(fd, F_SETFD, descriptor_flags | FD_CLOEXEC) == -1) {
    const int errnum = errno;
    owned.reset();
    errno = errnum;
    return -1;
  }
  return owned.release();
}

// sendmsg() with SIGPIPE blocked in this thread (SO_NOSIGPIPE and MSG_NOSIGNAL are not
// everywhere; this is). When it fails with EPIPE, the SIGPIPE it raised is taken off the
// pending set before the old mask returns, so it is never delivered; any other SIGPIPE (one
// sent by kill() meanwhile) stays pending and is delivered as usual.
std::ptrdiff_t send_without_sigpipe(int fd, const ConstBuffer* buffers, std::size_t count,
                                    int flags) {
  sigset_t sigpipe, previous, pending;
  sigemptyset(&sigpipe);
  sigaddset(&sigpipe, SIGPIPE);
  sigpending(&pending);
  const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
  pthread_sigmask(SIG_BLOCK, &sigpipe, &previous);
  const std::ptrdiff_t sent = send_message(fd, buffers, count, flags);
  const int saved_errno = errno;
  sigpending(&pending);
  if (sent == -1 && saved_errno == EPIPE && !was_pending && sigismember(&pending, SIGPIPE) == 1) {
    int taken;
    sigwait(&sigpipe, &taken);  // pending, so it returns at once
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved_errno;
  return sent;
}

}  // namespace

int open_stream_socket(int family) { return nonblocking_cloexec(::socket(family, SOCK_STREAM, 0)); }

int open_datagram_socket(int family) {
  return nonblocking_cloexec(::socket(family, SOCK_DGRAM, 0));
}

// FreeBSD 12 and later balance with SO_REUSEPORT_LB. The SO_REUSEPORT of the other BSDs and
// macOS lets sockets share the port but gives the connections to one of them, and POSIX has
// neither: there (and in the generic Linux builds, whose headers lack SO_REUSEPORT_LB) the
// caller hands connections out itself.
bool share_listening_port([[maybe_unused]] int fd) {
#ifdef SO_REUSEPORT_LB
  return set_socket_option(fd, SOL_SOCKET, SO_REUSEPORT_LB, 1);
#else
  return false;
#endif
}

int accept_connection(int listener, SocketAddress* peer) {
  if (peer) peer->length = sizeof peer->storage;
  return nonblocking_cloexec(::accept(listener,
                                      peer ? reinterpret_cast<sockaddr*>(&peer->storage) : nullptr,
                                      peer ? &peer->length : nullptr));
}

std::ptrdiff_t send_some(int fd, const ConstBuffer* buffers, std::size_t count) {
  return send_without_sigpipe(fd, buffers, count, 0);
}

std::ptrdiff_t send_some_now(int fd, const ConstBuffer* buffers, std::size_t count) {
  return send_without_sigpipe(fd, buffers, count, MSG_DONTWAIT);
}

// POSIX poll() has no flag for a peer's FIN alone (POLLHUP needs both sides shut).
bool peer_ended_stream(int fd) {
  char byte;
  return ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

// No portable way to ask (macOS has LOCAL_PEERPID, the BSDs only getpeereid's user ids).
std::optional<long> unix_peer_pid(int) { return std::nullopt; }

int open_directory(const std::string& path) {
  return ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

// No portable way to ask (FreeBSD has FIONWRITE, macOS SO_NWRITE: not used yet).
std::optional<std::uint64_t> bytes_not_received(int) { return std::nullopt; }

}  // namespace seltool::cli
