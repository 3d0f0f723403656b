// DURATION arguments (cli/base/duration.h): only UsageError, accepted exactly when the text is a
// number (digits, at most one '.') with an optional unit ms, s, m, h or d, and the value is
// between 0 and Selector::max_timeout and grows with the unit.
#include <chrono>
#include <cstdint>
#include <string>

#include "cli/base/duration.h"
#include "lib/selectors.h"
#include "tests/fuzz/invariants.h"

namespace {

using seltool::cli::Duration;
using seltool::cli::parse_duration;

// The grammar, written independently of the parser: NUMBER UNIT?, NUMBER with a digit.
bool is_duration(std::string_view text) {
  std::size_t i = 0, digits = 0;
  bool dot = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      ++digits;
    } else if (text[i] == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  const std::string_view unit = text.substr(i);
  return digits > 0 &&
         (unit.empty() || unit == "ms" || unit == "s" || unit == "m" || unit == "h" || unit == "d");
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

  // The same number with a larger unit is never shorter (ms < s < m < h < d).
  const std::string number(text.substr(0, text.find_first_not_of("0123456789.")));
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
