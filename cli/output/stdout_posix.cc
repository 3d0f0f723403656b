// How events reach stdout on POSIX systems (json_lines.h; stdout_windows.cc on Windows).
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "cli/os/reopen.h"
#include "cli/os/socket_ops.h"
#include "cli/os/stop_signals.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

// How long stdout's reader may take the last lines once a stop signal is seen.
constexpr std::chrono::seconds kFinishLine{1};

// What a failed write to stdout does (see json_lines.h).
[[noreturn]] void stdout_failed(int errnum) {
  if (errnum == EPIPE && !ignored_at_start(SIGPIPE)) die_of_signal(SIGPIPE);
  throw std::system_error(errnum, std::generic_category(), "cannot write events to stdout");
}

}  // namespace

// Whole lines, and no blocking past a stop signal (docs/cli.md, "Whole lines"). Each write()
// is at most PIPE_BUF bytes and made only once stdout is writable: a pipe or FIFO then takes all
// of it without blocking, in one piece (POSIX), so a line of at most PIPE_BUF bytes is never
// cut. A stop signal interrupts the wait; from then on stdout gets kFinishLine in all. Text not
// started by then is dropped and seltool ends by the signal; a line started but not finished by
// then (longer than PIPE_BUF, or on a terminal or socket, which may take part of a write) stays
// cut: std::runtime_error, exit 125.
void write_stdout(std::string_view text) {
  using Clock = std::chrono::steady_clock;
  static std::optional<Clock::time_point> finish_by;  // set when a stop signal is first seen
  bool started = false;
  while (!text.empty()) {
    WaitEnd end = WaitEnd::kWritable;
    if (stop_signal_received() == 0) {
      end = wait_writable(STDOUT_FILENO, -1, true);
    } else {
      if (!finish_by) finish_by = Clock::now() + kFinishLine;
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(*finish_by - Clock::now());
      end = wait_writable(STDOUT_FILENO, int(std::max<long long>(left.count(), 0)), false);
      if (end != WaitEnd::kWritable && Clock::now() >= *finish_by) {
        if (!started) die_of_signal(stop_signal_received());
        throw std::runtime_error(
            "stdout's reader took nothing for 1 s after the stop signal: its last line is cut");
      }
    }
    if (end != WaitEnd::kWritable) continue;
    const ssize_t written =
        ::write(STDOUT_FILENO, text.data(), std::min(text.size(), std::size_t(PIPE_BUF)));
    if (written > 0) {
      text.remove_prefix(std::size_t(written));
      started = true;
    } else if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      // EAGAIN: another process sharing stdout's open file description made it non-blocking.
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

// Each write is the whole lines that fit in PIPE_BUF bytes (or PIPE_BUF bytes of a longer
// line): a pipe or FIFO takes such a write whole or not at all, so the log never ends in the
// middle of a line there. A terminal or a socket may take part of one (mid_line()).
void QueuedLines::write_some() {
  constexpr int kMaxParts = 16;
  while (pending()) {
    ConstBuffer parts[kMaxParts];
    const int gathered = queue_.gather(parts, kMaxParts);
    std::size_t size = 0;
    std::size_t whole_lines = 0;  // bytes up to the last '\n' within PIPE_BUF
    for (int i = 0; i < gathered && size < PIPE_BUF; ++i) {
      const std::size_t part = std::min(parts[i].size, PIPE_BUF - size);
      const std::size_t newline =
          std::string_view(static_cast<const char*>(parts[i].data), part).rfind('\n');
      if (newline != std::string_view::npos) whole_lines = size + newline + 1;
      size += part;
    }
    if (whole_lines > 0) size = whole_lines;
    iovec vector[kMaxParts];
    int count = 0;
    for (std::size_t left = size; left > 0; ++count) {
      const std::size_t part = std::min(parts[count].size, left);
      vector[count] = {const_cast<void*>(parts[count].data), part};
      parts[count].size = part;
      left -= part;
    }
    ssize_t written = -1;
    switch (mode_) {
      case Mode::kSocket:
        written = send_some_now(STDOUT_FILENO, parts, std::size_t(count));
        break;
      case Mode::kReopened:
        written = ::writev(reopened_.get(), vector, count);
        break;
      case Mode::kPolled: {
        pollfd writable{STDOUT_FILENO, POLLOUT, 0};
        if (::poll(&writable, 1, 0) != 1) return;
        written = ::writev(STDOUT_FILENO, vector, count);
        break;
      }
    }
    if (written > 0) {
      std::size_t last = std::size_t(written) - 1;  // the last byte written, within `vector`
      int i = 0;
      while (last >= vector[i].iov_len) last -= vector[i++].iov_len;
      mid_line_ = static_cast<const char*>(vector[i].iov_base)[last] != '\n';
      queue_.consume(std::size_t(written));
    } else if (written < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      stdout_failed(errno);
    } else {
      return;
    }
  }
}

}  // namespace seltool::cli
