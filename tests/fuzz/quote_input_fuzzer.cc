// quote_input(), printable() and print_diagnostic()'s escaping (cli/base/usage_error.h), through
// which every message shows user text: the result is one line of valid UTF-8 without control
// characters or C1 characters (a terminal's CSI), in single quotes, and valid UTF-8 input without
// control characters, quotes or backslashes comes back unchanged inside the quotes.
#include <cstdint>
#include <string>

#include "cli/base/usage_error.h"
#include "tests/fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  const std::string_view text = as_text(data, size);
  const std::string quoted = seltool::cli::quote_input(text);
  check_message(quoted, text);
  check(quoted.size() >= 2 && quoted.front() == '\'' && quoted.back() == '\'',
        "not in single quotes", text);
  const auto check_no_c1 = [&](const std::string& out) {
    for (std::size_t i = 0; i + 1 < out.size(); ++i) {
      // C1 controls (U+0080 to U+009F) are C2 80 to C2 9F in UTF-8.
      check(!(std::uint8_t(out[i]) == 0xC2 && std::uint8_t(out[i + 1]) >= 0x80 &&
              std::uint8_t(out[i + 1]) <= 0x9F),
            "C1 control character in escaped text", text);
    }
  };
  check_no_c1(quoted);
  bool plain = seltool::cli::is_valid_utf8(text);
  for (std::size_t i = 0; plain && i < text.size(); ++i) {
    const auto c = std::uint8_t(text[i]);
    plain = c >= 0x20 && c != 0x7f && c != '\'' && c != '\\' &&
            !(c == 0xC2 && i + 1 < text.size() && std::uint8_t(text[i + 1]) <= 0x9F);
  }
  if (plain) check(quoted == "'" + std::string(text) + "'", "plain text was changed", text);
  // printable(), the same escaping without quotes (every --format text value): as safe, and
  // escaping its own output changes nothing.
  const std::string shown = seltool::cli::printable(text);
  if (!text.empty()) check_message(shown, text);
  check_no_c1(shown);
  check(seltool::cli::printable(shown) == shown, "printable() is not idempotent", text);
  return 0;
}
