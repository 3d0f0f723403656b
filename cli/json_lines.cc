#include "cli/json_lines.h"

#include <errno.h>
#include <time.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

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

}  // namespace

double seconds_since_start() {
  const auto elapsed = std::chrono::steady_clock::now() - kStarted;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return double(micros) / 1e6;
}

void JsonLines::event(std::string_view name, const Json& fields) const {
  if (quiet_) return;
  Json line = Json::object();
  line["event"] = name;
  for (const auto& [key, value] : fields.items()) line[key] = value;
  line["t"] = seconds_since_start();
  line["ts"] = rfc3339_now();
  put_line(line);
  if (!batched_) flush();
}

void JsonLines::write_line(const Json& value) {
  put_line(value);
  flush();
}

void JsonLines::put_line(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  text += '\n';
  std::fwrite(text.data(), 1, text.size(), stdout);
}

void JsonLines::flush() {
  // A reader that went away is an error even when SIGPIPE is ignored: without it seltool would
  // go on watching (and consuming) with nowhere to write.
  if (std::fflush(stdout) != 0) {
    const int errnum = errno;
    std::clearerr(stdout);
    throw std::system_error(errnum, std::generic_category(), "cannot write events to stdout");
  }
}

Json error_json(const ErrorInfo& error) {
  return Json{{"errno", error.errnum}, {"code", error.code}, {"message", error.message}};
}

Json error_json(int errnum) { return error_json(ErrorInfo::from_errno(errnum)); }

}  // namespace seltool::cli
