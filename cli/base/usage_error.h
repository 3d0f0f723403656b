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

// `text` for a line a person reads (diagnostics, every column of --format text): control
// characters (C0, DEL and C1) and bytes that are not UTF-8 escaped as quote_input() escapes them,
// quotes and backslashes left alone, so that user text (a path, a peer's socket name, a
// process's comm) stays on its line and sends the terminal no control sequence. The one
// escaping of all text output.
std::string printable(std::string_view text);

// Opening, binding or listening where the user asked failed with `errnum`: a UsageError (exit
// 2: the input must change, e.g. a port in use, a missing directory), except when seltool
// itself ran out of descriptors or memory (std::system_error, exit 125). The same failure
// gives the same exit code in every command.
[[noreturn]] void throw_open_failure(const std::string& message, int errnum);
// Whether `errnum` is seltool's own failure (out of descriptors or memory), not the input's.
bool is_resource_error(int errnum);

// Prints "seltool: <message>" on stderr and returns kExitUsage.
int report_usage_error(std::string_view message);

// Prints "seltool: <message>" on stderr: the one format of every diagnostic line. Control
// characters and bytes that are not UTF-8 are escaped as quote_input() does (quotes and backslashes
// are left alone), so that user text that reached a message unquoted still makes one line and
// no terminal control sequence.
void print_diagnostic(std::string_view message);

}  // namespace seltool::cli
