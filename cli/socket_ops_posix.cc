// Opening, accepting and sending with POSIX calls only (see socket_ops.h): what macOS, the
// BSDs, Solaris, illumos and any other POSIX system run, and Linux with --config=generic_posix
// or --config=kqueue_emulated, so that CI runs these lines too.
//
// Not atomic: between socket()/accept() and fcntl(FD_CLOEXEC) another thread's fork+exec
// could inherit the descriptor. seltool runs one thread, so nothing execs in between.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli/socket_ops_unix.h"
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

// SIGPIPE blocked in this thread while alive. A SIGPIPE that a send raised meanwhile is taken
// off the pending set before the old mask returns, so it is never delivered: the caller sees
// EPIPE instead (SO_NOSIGPIPE and MSG_NOSIGNAL are not everywhere; this is).
class SigpipeBlocked {
 public:
  SigpipeBlocked() {
    sigemptyset(&sigpipe_);
    sigaddset(&sigpipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &sigpipe_, &previous_);
  }
  ~SigpipeBlocked() {
    const int saved_errno = errno;
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      int taken;
      sigwait(&sigpipe_, &taken);  // pending, so it returns at once
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
    errno = saved_errno;
  }
  SigpipeBlocked(const SigpipeBlocked&) = delete;
  SigpipeBlocked& operator=(const SigpipeBlocked&) = delete;

 private:
  sigset_t sigpipe_;
  sigset_t previous_;
  bool was_pending_ = false;
};

}  // namespace

int open_stream_socket(int family) { return nonblocking_cloexec(::socket(family, SOCK_STREAM, 0)); }

int accept_connection(int listener, SocketAddress* peer) {
  if (peer) peer->length = sizeof peer->storage;
  return nonblocking_cloexec(::accept(listener,
                                      peer ? reinterpret_cast<sockaddr*>(&peer->storage) : nullptr,
                                      peer ? &peer->length : nullptr));
}

std::ptrdiff_t send_some(int fd, const ConstBuffer* buffers, std::size_t count) {
  const SigpipeBlocked blocked;
  return send_message(fd, buffers, count, 0);
}

}  // namespace seltool::cli
