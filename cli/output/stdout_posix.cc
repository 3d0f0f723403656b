// How events reach stdout on POSIX systems (json_lines.h; stdout_windows.cc on Windows).
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <system_error>

#include "cli/os/reopen.h"
#include "cli/os/socket_ops.h"
#include "cli/os/stop_signals.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

// What a failed write to stdout does (see json_lines.h).
[[noreturn]] void stdout_failed(int errnum) {
  if (errnum == EPIPE && !ignored_at_start(SIGPIPE)) die_of_signal(SIGPIPE);
  throw std::system_error(errnum, std::generic_category(), "cannot write events to stdout");
}

}  // namespace

void write_stdout(std::string_view text) {
  while (!text.empty()) {
    const ssize_t written = ::write(STDOUT_FILENO, text.data(), text.size());
    if (written >= 0) {
      text.remove_prefix(std::size_t(written));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      // Another process sharing stdout's open file description made it non-blocking.
      pollfd writable{STDOUT_FILENO, POLLOUT, 0};
      ::poll(&writable, 1, -1);
    } else if (errno != EINTR) {
      stdout_failed(errno);
    }
  }
}

// How stdout is written without blocking, while O_NONBLOCK on descriptor 1 itself would change
// the open file description seltool shares with the shell and other processes:
// - a socket: send() with MSG_DONTWAIT, for this call only;
// - a pipe, FIFO or terminal: a second open file description of the same object, through
//   /proc/self/fd/1 on Linux (reopen.h), made non-blocking;
// - else (a regular file, which never blocks, or no /proc): write only when poll() says
//   writable, at most PIPE_BUF bytes, which a pipe then takes without blocking (POSIX).
QueuedLines::QueuedLines(std::size_t bound) : bound_(bound), mode_(Mode::kPolled) {
  struct stat status {};
  if (::fstat(STDOUT_FILENO, &status) != 0) return;
  if (S_ISSOCK(status.st_mode)) {
    mode_ = Mode::kSocket;
  } else if (S_ISFIFO(status.st_mode) || S_ISCHR(status.st_mode)) {
    reopened_ = reopen_nonblocking(STDOUT_FILENO);
    if (reopened_) mode_ = Mode::kReopened;
  }
}

int QueuedLines::fd() const { return reopened_ ? reopened_.get() : STDOUT_FILENO; }

void QueuedLines::write_some() {
  constexpr int kMaxParts = 16;
  while (pending()) {
    ConstBuffer parts[kMaxParts];
    const int count = queue_.gather(parts, kMaxParts);
    ssize_t written = -1;
    switch (mode_) {
      case Mode::kSocket:
        written = send_some_now(STDOUT_FILENO, parts, std::size_t(count));
        break;
      case Mode::kReopened: {
        iovec vector[kMaxParts];
        for (int i = 0; i < count; ++i)
          vector[i] = {const_cast<void*>(parts[i].data), parts[i].size};
        written = ::writev(reopened_.get(), vector, count);
        break;
      }
      case Mode::kPolled: {
        pollfd writable{STDOUT_FILENO, POLLOUT, 0};
        if (::poll(&writable, 1, 0) != 1) return;
        written =
            ::write(STDOUT_FILENO, parts[0].data, std::min(parts[0].size, std::size_t(PIPE_BUF)));
        break;
      }
    }
    if (written >= 0) {
      queue_.consume(std::size_t(written));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return;
    } else if (errno != EINTR) {
      stdout_failed(errno);
    }
  }
}

}  // namespace seltool::cli
