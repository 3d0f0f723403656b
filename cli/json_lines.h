// The JSON Lines output of every command: the one place that defines the event shape.
//
// An event is one JSON object on one line of stdout, flushed at once (also into a pipe):
//   {"event": NAME, ...fields in the order given..., "t": SECONDS_SINCE_START, "ts": RFC3339}
// Field names are snake_case. Strings that are not valid UTF-8 are written with U+FFFD in
// place of the bad bytes, so every line is valid JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "cli/error_info.h"

namespace seltool::cli {

using Json = nlohmann::ordered_json;  // keeps fields in the order they were added

// Seconds since seltool started, with microsecond resolution (an event's "t").
double seconds_since_start();

class JsonLines {
 public:
  // A quiet writer (-q) writes no events at all. A batched writer leaves flushing to its
  // caller's flush(), e.g. once per event-loop iteration of a server (`seltool echo`), so that
  // logging does not cost one write(2) per event.
  explicit JsonLines(bool quiet = false, bool batched = false) : quiet_(quiet), batched_(batched) {}

  // Writes {"event": name, ...fields, "t", "ts"} as one line and flushes it (unless batched).
  void event(std::string_view name, const Json& fields = Json::object()) const;
  // Writes out what batched events left in stdout's buffer. Throws std::system_error when
  // stdout cannot be written (e.g. EPIPE: its reader went away while SIGPIPE is ignored).
  static void flush();

  // Writes `value` as one line and flushes it, with nothing added (whatever `quiet` says):
  // for a command whose whole output is one object, such as `seltool selectors`.
  static void write_line(const Json& value);

 private:
  static void put_line(const Json& value);

  bool quiet_;
  bool batched_;
};

// The "error" object of an event: {"errno": 111, "code": "ECONNREFUSED", "message": "..."}.
Json error_json(const ErrorInfo& error);
Json error_json(int errnum);

}  // namespace seltool::cli
