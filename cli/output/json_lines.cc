#include "cli/output/json_lines.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "cli/os/reopen.h"
#include "cli/os/stop_signals.h"
#include "cli/output/text_lines.h"

namespace seltool::cli {
namespace {

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

}  // namespace

std::string event_line(std::string_view name, const Json& fields) {
  Json line = Json::object();
  line["event"] = name;
  for (const auto& [key, value] : fields.items()) line[key] = value;
  line["t"] = seconds_since_start();
  line["ts"] = rfc3339_now();
  return line.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n';
}

void JsonLines::event(std::string_view name, const Json& fields) const {
  if (quiet_) return;
  write_stdout(format_ == OutputFormat::kText ? text_line(name, fields) : event_line(name, fields));
}

void JsonLines::write_line(const Json& value) {
  write_stdout(value.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n');
}

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
  if (!whatever_the_bound && queue_.size() + handed_over_ + line.size() > bound_) {
    ++dropped_since_;
    ++dropped_total_;
    return;
  }
  dropped_since_ = 0;
  queue_.append(line.data(), line.size());
}

Json error_json(const ErrorInfo& error) {
  return Json{{"errno", error.errnum}, {"code", error.code}, {"message", error.message}};
}

Json error_json(int errnum) { return error_json(ErrorInfo::from_errno(errnum)); }

}  // namespace seltool::cli
