#include "cli/base/duration.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

#include "cli/base/usage_error.h"
#include "lib/selectors.h"

namespace seltool::cli {
namespace {

// Seconds per unit; nullopt for an unknown unit.
std::optional<double> unit_seconds(std::string_view unit) {
  if (unit.empty() || unit == "s") return 1.0;
  if (unit == "ms") return 1e-3;
  if (unit == "m") return 60.0;
  if (unit == "h") return 3600.0;
  if (unit == "d") return 86400.0;
  return std::nullopt;
}

// The number at the start of `text`: digits with at most one '.', at least one digit. No sign,
// exponent, "inf" or "nan": those are never what a user meant by a duration.
std::optional<double> leading_number(std::string_view text, std::size_t& length) {
  std::size_t digits = 0;
  bool dot = false;
  length = 0;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      ++digits;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
    ++length;
  }
  if (digits == 0) return std::nullopt;
  // strtod, not stod: hundreds of digits overflow to HUGE_VAL (no limit) or underflow to a
  // tiny value (the shortest wait) where stod would throw std::out_of_range.
  return std::strtod(std::string(text.substr(0, length)).c_str(), nullptr);
}

}  // namespace

Duration parse_duration(std::string_view text, std::string_view option) {
  std::size_t length = 0;
  const std::optional<double> number = leading_number(text, length);
  const std::optional<double> unit = number ? unit_seconds(text.substr(length)) : std::nullopt;
  if (!unit) {
    throw UsageError("invalid duration " + quote_input(text) + " for " + std::string(option) +
                     ": expected seconds (1.5) or a number with a unit ms, s, m, h or d "
                     "(250ms, 2s, 1m)");
  }
  const double seconds = *number * *unit;
  const auto limit = std::chrono::duration<double>(Selector::max_timeout);
  if (seconds >= limit.count()) return Selector::max_timeout;
  // A number that is not zero but underflows (0.000...1 with hundreds of zeros) is the
  // shortest duration, never 0 (which options read as "no limit").
  const bool nonzero = text.substr(0, length).find_first_not_of("0.") != std::string_view::npos;
  return std::max(Duration(nonzero ? 1 : 0), Duration(std::int64_t(std::ceil(seconds * 1e9))));
}

CLI::Option* add_duration_option(CLI::App& command, const std::string& name,
                                 std::optional<Duration>& value, const std::string& description) {
  const std::string shown = name.substr(name.rfind(',') + 1);  // "--timeout" of "-t,--timeout"
  CLI::Option* option = command.add_option_function<std::string>(
      name, [&value, shown](const std::string& text) { value = parse_duration(text, shown); },
      description);
  option->type_name("DURATION");
  return option;
}

}  // namespace seltool::cli
