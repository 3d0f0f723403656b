#include "cli/json_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "cli/stop_signals.h"
#include "cli/text_lines.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

// Initialised before main() runs: the "start" that "t" counts from.
const std::chrono::steady_clock::time_point kStarted = std::chrono::steady_clock::now();

// RFC 3339 UTC with microseconds, e.g. "2026-11-26T20:50:01.123456Z".
std::string rfc3339_now() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const time_t seconds = time_t(micros / 1'000'000);
  tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + length, sizeof text - length, ".%06dZ", int(micros % 1'000'000));
  return text;
}

// What a failed write to stdout does (see json_lines.h).
[[noreturn]] void stdout_failed(int errnum) {
  if (errnum == EPIPE && !ignored_at_start(SIGPIPE)) die_of_signal(SIGPIPE);
  throw std::system_error(errnum, std::generic_category(), "cannot write events to stdout");
}

}  // namespace

double seconds_since_start() {
  const auto elapsed = std::chrono::steady_clock::now() - kStarted;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return double(micros) / 1e6;
}

std::string event_line(std::string_view name, const Json& fields) {
  Json line = Json::object();
  line["event"] = name;
  for (const auto& [key, value] : fields.items()) line[key] = value;
  line["t"] = seconds_since_start();
  line["ts"] = rfc3339_now();
  return line.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n';
}

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

OutputFormat parse_output_format(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "text") return OutputFormat::kText;
  throw UsageError("invalid --format " + quote_input(name) + ": expected json or text");
}

void JsonLines::event(std::string_view name, const Json& fields) const {
  if (quiet_) return;
  write_stdout(format_ == OutputFormat::kText ? text_line(name, fields) : event_line(name, fields));
}

void JsonLines::write_line(const Json& value) {
  write_stdout(value.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n');
}

// How stdout is written without blocking, while O_NONBLOCK on descriptor 1 itself would change
// the open file description seltool shares with the shell and other processes:
// - a socket: send() with MSG_DONTWAIT, for this call only;
// - a pipe, FIFO or terminal: a second open file description of the same object, through
//   /proc/self/fd/1 (Linux), made non-blocking;
// - else (a regular file, which never blocks, or no /proc): write only when poll() says
//   writable, at most PIPE_BUF bytes, which a pipe then takes without blocking (POSIX).
QueuedLines::QueuedLines(std::size_t bound) : bound_(bound), mode_(Mode::kPolled) {
  struct stat status {};
  if (::fstat(STDOUT_FILENO, &status) != 0) return;
  if (S_ISSOCK(status.st_mode)) {
    mode_ = Mode::kSocket;
  } else if (S_ISFIFO(status.st_mode) || S_ISCHR(status.st_mode)) {
    reopened_.reset(::open("/proc/self/fd/1", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (reopened_) mode_ = Mode::kReopened;
  }
}

int QueuedLines::fd() const { return reopened_ ? reopened_.get() : STDOUT_FILENO; }

void QueuedLines::event(std::string_view name, const Json& fields) { queue(name, fields, false); }

void QueuedLines::final_event(std::string_view name, const Json& fields) {
  queue(name, fields, true);
}

void QueuedLines::queue(std::string_view name, const Json& fields, bool whatever_the_bound) {
  std::string line;
  if (dropped_since_ == 0) {
    line = event_line(name, fields);
  } else {
    Json counted = fields;
    counted["dropped_lines"] = dropped_since_;
    line = event_line(name, counted);
  }
  if (!whatever_the_bound && queue_.size() + line.size() > bound_) {
    ++dropped_since_;
    ++dropped_total_;
    return;
  }
  dropped_since_ = 0;
  queue_.append(line.data(), line.size());
}

void QueuedLines::write_some() {
  constexpr int kMaxParts = 16;
  while (pending()) {
    iovec parts[kMaxParts];
    const int count = queue_.gather(parts, kMaxParts);
    ssize_t written = -1;
    switch (mode_) {
      case Mode::kSocket: {
        msghdr message{};
        message.msg_iov = parts;
        message.msg_iovlen = std::size_t(count);
        written = ::sendmsg(STDOUT_FILENO, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
        break;
      }
      case Mode::kReopened:
        written = ::writev(reopened_.get(), parts, count);
        break;
      case Mode::kPolled: {
        pollfd writable{STDOUT_FILENO, POLLOUT, 0};
        if (::poll(&writable, 1, 0) != 1) return;
        written = ::write(STDOUT_FILENO, parts[0].iov_base,
                          std::min(parts[0].iov_len, std::size_t(PIPE_BUF)));
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

Json error_json(const ErrorInfo& error) {
  return Json{{"errno", error.errnum}, {"code", error.code}, {"message", error.message}};
}

Json error_json(int errnum) { return error_json(ErrorInfo::from_errno(errnum)); }

}  // namespace seltool::cli
