#include "cli/base/duration.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

#include "cli/base/usage_error.h"
#include "lib/selectors.h"

namespace seltool::cli {
namespace {

// The unit at the start of `text` and its seconds; nullopt for none. Longest first: "ms"
// before "m".
std::optional<double> leading_unit(std::string_view text, std::size_t& length) {
  static const std::pair<std::string_view, double> units[] = {
      {"ns", 1e-9}, {"us", 1e-6}, {"\u00b5s", 1e-6}, {"ms", 1e-3},
      {"s", 1.0},   {"m", 60.0},  {"h", 3600.0},     {"d", 86400.0}};
  for (const auto& [name, seconds] : units) {
    if (text.substr(0, name.size()) == name) {
      length = name.size();
      return seconds;
    }
  }
  return std::nullopt;
}

std::size_t digits_at(std::string_view text, std::size_t at) {
  std::size_t count = 0;
  while (at + count < text.size() && text[at + count] >= '0' && text[at + count] <= '9') ++count;
  return count;
}

// The number at the start of `text`: digits with at most one '.', at least one digit, then
// an optional exponent (e3, E-2). No sign, "nan" or hexadecimal: never what a user meant by a
// duration. `nonzero`: whether a digit before the exponent is not 0.
std::optional<double> leading_number(std::string_view text, std::size_t& length, bool& nonzero) {
  std::size_t digits = digits_at(text, 0);
  length = digits;
  if (length < text.size() && text[length] == '.') {
    const std::size_t fraction = digits_at(text, length + 1);
    digits += fraction;
    length += 1 + fraction;
  }
  if (digits == 0) return std::nullopt;
  nonzero = text.substr(0, length).find_first_not_of("0.") != std::string_view::npos;
  if (length < text.size() && (text[length] == 'e' || text[length] == 'E')) {
    std::size_t sign =
        length + 1 < text.size() && (text[length + 1] == '+' || text[length + 1] == '-');
    const std::size_t exponent = digits_at(text, length + 1 + sign);
    if (exponent > 0) length += 1 + sign + exponent;
  }
  // strtod, not stod: hundreds of digits overflow to HUGE_VAL (no limit) or underflow to a
  // tiny value (the shortest wait) where stod would throw std::out_of_range.
  return std::strtod(std::string(text.substr(0, length)).c_str(), nullptr);
}

bool is_infinity(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  return lower == "inf" || lower == "infinity";
}

}  // namespace

Duration parse_duration(std::string_view text, std::string_view option) {
  if (is_infinity(text)) return Selector::max_timeout;
  double seconds = 0;
  bool nonzero = false;
  std::size_t at = 0;
  do {
    std::size_t number_length = 0, unit_length = 0;
    bool term_nonzero = false;
    const std::optional<double> number =
        leading_number(text.substr(at), number_length, term_nonzero);
    std::optional<double> unit =
        number ? leading_unit(text.substr(at + number_length), unit_length) : std::nullopt;
    if (number && !unit && at == 0 && number_length == text.size()) unit = 1.0;  // "1.5"
    if (!unit) {
      throw UsageError("invalid duration " + quote_input(text) + " for " + std::string(option) +
                       ": expected seconds (1.5, 1e1), a number with a unit ns, us, ms, s, m, h "
                       "or d (250ms, 2s), a sequence of them (1m30s), or inf");
    }
    seconds += *number * *unit;
    nonzero |= term_nonzero;
    at += number_length + unit_length;
  } while (at < text.size());
  const auto limit = std::chrono::duration<double>(Selector::max_timeout);
  if (!(seconds < limit.count())) return Selector::max_timeout;
  // A number that is not zero but underflows (0.000...1 with hundreds of zeros, 1e-400) is
  // the shortest duration, never 0 (which options read as "no limit").
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
