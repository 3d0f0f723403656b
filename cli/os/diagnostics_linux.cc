// Linux: FIONREAD, SIOCOUTQ/TIOCOUTQ, TCP_INFO, F_GETPIPE_SZ and poll()'s POLLERR, none of
// which consumes data or clears an error.
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli/os/diagnostics.h"
#include "cli/os/kernel_sockets_linux.h"

namespace seltool::cli {
namespace {

std::optional<std::uint64_t> queue_size(int fd, unsigned long request) {
  int count = 0;
  if (::ioctl(fd, request, &count) == -1 || count < 0) return std::nullopt;
  return std::uint64_t(count);
}

// A TCP socket's state, and RTT or (listening) the accept queue and its limit.
void add_tcp_figures(std::uint8_t state, std::uint32_t rtt, std::uint32_t rttvar,
                     std::uint32_t accept_queue, std::uint32_t backlog, Diagnostics& found) {
  found.tcp_state = tcp_state_name(state);
  if (state == TCP_LISTEN) {
    found.accept_queue = accept_queue;
    found.backlog = backlog;
    found.unread.reset();
    found.unsent.reset();
  } else {
    found.rtt_us = rtt;
    found.rttvar_us = rttvar;
  }
}

// TCP sockets: their figures from TCP_INFO.
void add_tcp_info(int fd, Diagnostics& found) {
  tcp_info info{};
  socklen_t length = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == -1) return;
  // For a listener the kernel reuses unacked and sacked: the accept queue and its limit (as ss).
  add_tcp_figures(info.tcpi_state, info.tcpi_rtt, info.tcpi_rttvar, info.tcpi_unacked,
                  info.tcpi_sacked, found);
}

}  // namespace

Diagnostics diagnose(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) return {};
  pollfd probe{fd, 0, 0};  // POLLERR is reported whatever is asked for
  const bool error =
      S_ISSOCK(status.st_mode) && ::poll(&probe, 1, 0) == 1 && (probe.revents & POLLERR) != 0;
  return diagnose(fd, status.st_mode, error);
}

Diagnostics diagnose_tcp(int fd, const TcpFigures& figures, bool error_pending) {
  Diagnostics found;
  if (figures.state != TCP_LISTEN) {
    found.unread = queue_size(fd, SIOCINQ);
    found.unsent = figures.send_queue;
  }
  found.error_pending = error_pending;
  add_tcp_figures(std::uint8_t(figures.state), figures.rtt_us, figures.rttvar_us,
                  figures.receive_queue, figures.send_queue, found);
  return found;
}

Diagnostics diagnose(int fd, unsigned mode, bool error_pending) {
  Diagnostics found;
  if (S_ISFIFO(mode)) {
    found.unread = queue_size(fd, FIONREAD);  // the bytes in the pipe, from either end
    const int capacity = ::fcntl(fd, F_GETPIPE_SZ);
    if (capacity >= 0) found.pipe_capacity = std::uint32_t(capacity);
  } else if (S_ISCHR(mode) && ::isatty(fd)) {
    found.unread = queue_size(fd, FIONREAD);
    found.unsent = queue_size(fd, TIOCOUTQ);
  } else if (S_ISSOCK(mode)) {
    found.unread = queue_size(fd, SIOCINQ);
    found.unsent = queue_size(fd, SIOCOUTQ);
    found.error_pending = error_pending;
    add_tcp_info(fd, found);  // other sockets refuse TCP_INFO (EOPNOTSUPP)
  }
  return found;
}

}  // namespace seltool::cli
