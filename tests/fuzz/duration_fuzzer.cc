// DURATION arguments (cli/base/duration.h): only UsageError, accepted exactly when the text is
// inf, a number (digits, at most one '.', an optional exponent) or a sequence of numbers with
// units, and the value is between 0 and Selector::max_timeout and grows with the unit and
// with more terms.
#include <cctype>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "cli/base/duration.h"
#include "lib/selectors.h"
#include "tests/fuzz/invariants.h"

namespace {

using seltool::cli::Duration;
using seltool::cli::parse_duration;

// The end of the NUMBER that starts at `at` (digits with at most one '.', at least one digit,
// then an optional exponent), or npos when none starts there.
std::size_t number_end(std::string_view text, std::size_t at) {
  const auto digit = [&](std::size_t i) {
    return i < text.size() && text[i] >= '0' && text[i] <= '9';
  };
  std::size_t end = at;
  std::size_t digits = 0;
  bool dot = false;
  for (; end < text.size(); ++end) {
    if (digit(end)) {
      ++digits;
    } else if (text[end] == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits == 0) return std::string_view::npos;
  if (end < text.size() && (text[end] == 'e' || text[end] == 'E')) {
    std::size_t exponent = end + 1;
    if (exponent < text.size() && (text[exponent] == '+' || text[exponent] == '-')) ++exponent;
    if (digit(exponent)) {
      while (digit(exponent)) ++exponent;
      end = exponent;
    }
  }
  return end;
}

// The grammar, written independently of the parser (and without std::regex, whose recursive
// matcher is too slow for a fuzzer's long inputs): inf or infinity in any case; NUMBER alone;
// or NUMBER UNIT repeated.
bool is_duration(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "infinity") return true;
  if (text.empty()) return false;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t end = number_end(text, at);
    if (end == std::string_view::npos) return false;
    if (end == text.size()) return at == 0;  // a bare NUMBER only alone
    at = std::string_view::npos;
    for (const std::string_view unit : {"ns", "us", "\xc2\xb5s", "ms", "s", "m", "h", "d"}) {
      if (text.substr(end, unit.size()) == unit) {
        at = end + unit.size();
        break;
      }
    }
    if (at == std::string_view::npos) return false;
  }
  return true;
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
