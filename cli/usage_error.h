// Usage errors: bad options, targets, durations or other input. Every command reports them the
// same way: one line on stderr that names the bad argument and says what is expected, nothing
// on stdout, exit code 2. Throw UsageError anywhere before output starts; main() reports it.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace seltool::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// User text (an argument, a path, an environment value) for a message: in single quotes, with
// `\` and `'` escaped as `\\` and `\'`, control characters as `\n`, `\r`, `\t` or `\xHH`
// (C0 and DEL) and `\u00HH` (C1, e.g. U+009B, a terminal's CSI), and bytes that are not UTF-8
// as `\xHH`. Valid UTF-8 text stays readable. quote_input("a\nb") == "'a\\nb'".
std::string quote_input(std::string_view text);

// Prints "seltool: <message>" on stderr and returns kExitUsage.
int report_usage_error(std::string_view message);

// Prints "seltool: <message>" on stderr: the one format of every diagnostic line. Control
// characters and bytes that are not UTF-8 are escaped as quote_input() does (quotes and backslashes
// are left alone), so that user text that reached a message unquoted still makes one line and
// no terminal control sequence.
void print_diagnostic(std::string_view message);

}  // namespace seltool::cli
