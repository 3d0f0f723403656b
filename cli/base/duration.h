// DURATION arguments, read as coreutils `timeout` and the Go tools read them: a non-negative
// decimal number of seconds (`1.5`, `1e1`), optionally with a unit `ns`, `us` (or `µs`), `ms`,
// `s`, `m`, `h` or `d` (`250ms`, `2s`, `1m`), a sequence of numbers with units (`1m30s`), or
// `inf`/`infinity` (no limit).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace seltool::cli {

using Duration = std::chrono::nanoseconds;

// Parses `text`; durations of 100 years or more become Selector::max_timeout ("no limit").
// Throws UsageError naming `option` and the expected forms when `text` is not a duration.
Duration parse_duration(std::string_view text, std::string_view option);

// Adds option `name` (CLI11 syntax, e.g. "-t,--timeout") taking a DURATION into `value`; a
// bad value is a UsageError when the command line is parsed.
CLI::Option* add_duration_option(CLI::App& command, const std::string& name,
                                 std::optional<Duration>& value, const std::string& description);

}  // namespace seltool::cli
