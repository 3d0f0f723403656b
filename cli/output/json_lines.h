// The JSON Lines output of every command: the one place that defines the event shape and how
// it reaches stdout.
//
// An event is one JSON object on one line of stdout:
//   {"event": NAME, ...fields in the order given..., "t": SECONDS_SINCE_START, "ts": RFC3339}
// Field names are snake_case. Strings that are not valid UTF-8 are written with U+FFFD in
// place of the bad bytes, so every line is valid JSON.
//
// Writing to stdout (docs/cli.md, "Broken stdout"): every write error is seen at once. When
// stdout's reader is gone (EPIPE), seltool ends by SIGPIPE after removing the files it created
// (exit 141 in a shell), like other Unix tools; when SIGPIPE was ignored at start, and for any
// other error (ENOSPC, EFBIG, EIO...), the write throws std::system_error "cannot write events
// to stdout", which main() reports with exit 125. Lines are written whole or not at all, also
// when a stop signal ends seltool while stdout's reader is stalled (docs/cli.md, "Whole lines").
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cli/base/byte_queue.h"
#include "cli/base/error_info.h"
#include "cli/output/format.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

// {"event": name, ...fields, "t", "ts"} as one line, '\n' included.
std::string event_line(std::string_view name, const Json& fields = Json::object());

// Writes `text` (whole lines) to stdout, blocking until the reader takes it (see above for
// errors). Once a stop signal is seen (stop_signals.h) stdout gets 1 s more in all: text not
// started by then is dropped and seltool ends by the signal; a line started but not finished
// throws std::runtime_error (exit 125): see stdout_posix.cc. Windows: blocks.
void write_stdout(std::string_view text);

// Events written at once, blocking while stdout's reader is slow: for `watch` and `wait`,
// whose events are their product.
class JsonLines {
 public:
  // A quiet writer (-q) writes no events at all.
  explicit JsonLines(bool quiet = false, OutputFormat format = OutputFormat::kJson)
      : quiet_(quiet), format_(format) {}

  void event(std::string_view name, const Json& fields = Json::object()) const;

  // Writes `value` as one line, with nothing added (whatever `quiet` says): for a command
  // whose whole output is one object, such as `seltool selectors`.
  static void write_line(const Json& value);

 private:
  bool quiet_;
  OutputFormat format_;
};

// Events queued in a bounded buffer and written only when stdout takes them without blocking:
// for `seltool echo`, which must go on serving whatever its log reader does. The caller
// watches fd() for writability while pending() and then calls write_some().
class QueuedLines {
 public:
  // Lines that would take the queue past `bound` bytes are dropped and counted.
  explicit QueuedLines(std::size_t bound);

  // Queues the event's line, or drops it when the queue is full. The first line queued after
  // drops carries "dropped_lines": how many were dropped just before it.
  void event(std::string_view name, const Json& fields = Json::object());
  // Queues the event's line (with "dropped_lines" as above) whatever the bound: the last line
  // of a run ("stopped").
  void final_event(std::string_view name, const Json& fields);

  // Writes what stdout takes now without blocking, whole lines at a time: a pipe or FIFO never
  // gets part of a line. Errors as write_stdout() (from the writer thread: at the next call).
  void write_some();
  bool pending() const { return !queue_.empty() || handed_over_ > 0; }
  // Whether the caller watches fd() for writability; false when a thread writes stdout (a
  // terminal seltool cannot open a second time: see stdout_posix.cc).
  bool watched() const { return mode_ != Mode::kThread; }
  // With the writer thread: waits until it wrote everything or `deadline` passed. Else nothing.
  void wait_written(std::chrono::steady_clock::time_point deadline);
  // Whether stdout (a terminal or socket, which may take part of a write) got only part of the
  // last line written: the caller gives it time to finish before it exits.
  bool mid_line() const { return mid_line_; }
  // The descriptor to watch for writability while pending().
  int fd() const;
  // Lines dropped in the whole run.
  std::uint64_t dropped() const { return dropped_total_; }

 private:
  struct Writer;  // the writer thread's state (stdout_posix.cc)

  void queue(std::string_view name, const Json& fields, bool whatever_the_bound);

  std::size_t bound_;
  ByteQueue queue_;
  std::uint64_t dropped_since_ = 0;  // since the last line queued
  std::uint64_t dropped_total_ = 0;
  bool mid_line_ = false;
  // stdout, written without blocking and without changing the flags of the open file
  // description seltool shares with other processes (see json_lines.cc).
  enum class Mode { kSocket, kReopened, kPolled, kThread } mode_;
  UniqueFd reopened_;
  std::shared_ptr<Writer> writer_;  // kThread; shared with the thread, which may outlive us
  std::size_t handed_over_ = 0;     // bytes the thread had not written at the last look
};

// The "error" object of an event: {"errno": 111, "code": "ECONNREFUSED", "message": "..."}.
Json error_json(const ErrorInfo& error);
Json error_json(int errnum);

}  // namespace seltool::cli
