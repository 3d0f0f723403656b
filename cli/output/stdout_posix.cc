// How events reach stdout on POSIX systems (json_lines.h; stdout_windows.cc on Windows).
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <thread>

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

// The writer thread of a terminal: blocking writes of what write_some() handed over. It is
// detached: blocked on a terminal nobody reads, it ends with the process.
struct QueuedLines::Writer {
  std::mutex mutex;
  std::condition_variable changed;
  ByteQueue queue;  // handed over, not yet written; the thread writes from its front
  int error = 0;    // the errno of the write that failed; the thread then stops

  void run() {
    constexpr int kMaxParts = 16;
    std::unique_lock<std::mutex> lock(mutex);
    while (error == 0) {
      changed.wait(lock, [this] { return !queue.empty(); });
      ConstBuffer parts[kMaxParts];
      iovec vector[kMaxParts];
      const int count = queue.gather(parts, kMaxParts);
      for (int i = 0; i < count; ++i) {
        vector[i] = {const_cast<void*>(parts[i].data), parts[i].size};
      }
      lock.unlock();  // appends never move the queued bytes (byte_queue.h)
      const ssize_t written = ::writev(STDOUT_FILENO, vector, count);
      const int write_error = errno;
      if (written < 0 && (write_error == EAGAIN || write_error == EWOULDBLOCK)) {
        pollfd writable{STDOUT_FILENO, POLLOUT, 0};  // made non-blocking by another process
        ::poll(&writable, 1, -1);
      }
      lock.lock();
      if (written > 0) queue.consume(std::size_t(written));
      if (written < 0 && write_error != EAGAIN && write_error != EWOULDBLOCK &&
          write_error != EINTR) {
        error = write_error;
      }
      changed.notify_all();
    }
  }
};

// How stdout is written without blocking, while O_NONBLOCK on descriptor 1 itself would change
// the open file description seltool shares with the shell and other processes:
// - a socket: send() with MSG_DONTWAIT, for this call only;
// - a pipe, FIFO or terminal: a second open file description of the same object, through
//   /proc/self/fd/1 on Linux (reopen.h), made non-blocking;
// - a terminal that cannot be opened again (another user's, or no /proc): a thread of its
//   own writes it, blocking (Writer above): poll() says a terminal is writable when it takes
//   one byte, and a write of more then waits for the terminal's reader;
// - else (a regular file, which never blocks, or a pipe without /proc): write only when poll()
//   says writable, at most PIPE_BUF bytes, which a pipe then takes without blocking (POSIX).
QueuedLines::QueuedLines(std::size_t bound) : bound_(bound), mode_(Mode::kPolled) {
  struct stat status {};
  if (::fstat(STDOUT_FILENO, &status) != 0) return;
  if (S_ISSOCK(status.st_mode)) {
    mode_ = Mode::kSocket;
  } else if (S_ISFIFO(status.st_mode) || S_ISCHR(status.st_mode)) {
    reopened_ = reopen_nonblocking(STDOUT_FILENO);
    if (reopened_) {
      mode_ = Mode::kReopened;
    } else if (::isatty(STDOUT_FILENO)) {
      mode_ = Mode::kThread;
      writer_ = std::make_shared<Writer>();
      // Every signal stays with the main thread: the writer's are blocked from its start.
      sigset_t all, previous;
      sigfillset(&all);
      pthread_sigmask(SIG_SETMASK, &all, &previous);
      std::thread([writer = writer_] { writer->run(); }).detach();
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }
  }
}

void QueuedLines::wait_written(std::chrono::steady_clock::time_point deadline) {
  if (mode_ != Mode::kThread) return;
  write_some();
  std::unique_lock<std::mutex> lock(writer_->mutex);
  writer_->changed.wait_until(lock, deadline,
                              [this] { return writer_->queue.empty() || writer_->error != 0; });
  handed_over_ = writer_->queue.size();
}

int QueuedLines::fd() const { return reopened_ ? reopened_.get() : STDOUT_FILENO; }

// Each write is the whole lines that fit in PIPE_BUF bytes (or PIPE_BUF bytes of a longer
// line): a pipe or FIFO takes such a write whole or not at all, so the log never ends in the
// middle of a line there. A terminal or a socket may take part of one (mid_line()).
void QueuedLines::write_some() {
  constexpr int kMaxParts = 16;
  if (mode_ == Mode::kThread) {
    std::lock_guard<std::mutex> lock(writer_->mutex);
    if (writer_->error != 0) stdout_failed(writer_->error);
    while (!queue_.empty()) {
      ConstBuffer parts[kMaxParts];
      const int count = queue_.gather(parts, kMaxParts);
      for (int i = 0; i < count; ++i) {
        writer_->queue.append(static_cast<const char*>(parts[i].data), parts[i].size);
        queue_.consume(parts[i].size);
      }
    }
    handed_over_ = writer_->queue.size();
    writer_->changed.notify_all();
    return;
  }
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
      case Mode::kThread:  // handled above
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
