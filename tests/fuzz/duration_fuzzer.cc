// DURATION arguments (cli/base/duration.h): only UsageError, accepted exactly when the text is
// inf, a number (digits, at most one '.', an optional exponent) or a sequence of numbers with
// units, and the value is between 0 and Selector::max_timeout and grows with the unit and
// with more terms.
// GCC 12 with ASan and UBSan at -O1 reports members of std::regex's own std::function as
// maybe uninitialized (a false positive inside libstdc++'s <regex>, which only this fuzzer uses).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <chrono>
#include <cstdint>
#include <regex>
#include <string>

#include "cli/base/duration.h"
#include "lib/selectors.h"
#include "tests/fuzz/invariants.h"

namespace {

using seltool::cli::Duration;
using seltool::cli::parse_duration;

// The grammar, written independently of the parser as a regular expression: inf or infinity
// in any case; NUMBER alone; or NUMBER UNIT repeated. NUMBER has a digit, at most one '.',
// and an optional exponent.
bool is_duration(std::string_view text) {
  static const std::regex infinity("inf(inity)?", std::regex::icase);
  static const std::string number = "([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?";
  static const std::regex bare(number);
  static const std::regex with_units("(" + number + "(ns|us|\xc2\xb5s|ms|s|m|h|d))+");
  const std::string copy(text);
  return std::regex_match(copy, infinity) || std::regex_match(copy, bare) ||
         std::regex_match(copy, with_units);
}

// "NUMBER" when `text` is one number without an exponent and at most one unit, else "".
std::string plain_number(std::string_view text) {
  const std::string number(text.substr(0, text.find_first_not_of("0123456789.")));
  const std::string_view unit = text.substr(number.size());
  const bool one_unit =
      unit.empty() || unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d";
  return one_unit && !number.empty() ? number : "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  const std::string_view text = as_text(data, size);
  Duration value{};
  const bool accepted = parses([&] { value = parse_duration(text, "--timeout"); }, text);
  check(accepted == is_duration(text), accepted ? "accepted a non-duration" : "rejected a duration",
        text);
  if (!accepted) return 0;
  check(value.count() >= 0, "negative duration", text);
  check(value <= seltool::Selector::max_timeout, "duration beyond max_timeout", text);

  // A sequence is the sum of its terms: one more term never makes it shorter.
  if (std::string_view("smhd").find(text.back()) != std::string_view::npos) {
    check(parse_duration(std::string(text) + "1ns", "-t") >= value, "a longer sequence is shorter",
          text);
  }
  // The same number with a larger unit is never shorter (ms < s < m < h < d).
  const std::string number = plain_number(text);
  if (number.empty()) return 0;
  Duration previous{};
  for (const char* unit : {"ms", "s", "m", "h", "d"}) {
    const Duration next = parse_duration(number + unit, "--timeout");
    check(next >= previous, "a larger unit gave a shorter duration", text);
    previous = next;
  }
  // Whole seconds written as milliseconds are the same duration.
  if (number.find('.') == std::string::npos && number.size() < 10) {
    check(parse_duration(number + "s", "-t") == parse_duration(number + "000ms", "-t"),
          "N s differs from N000 ms", text);
  }
  return 0;
}
