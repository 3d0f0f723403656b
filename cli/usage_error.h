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

// Prints "seltool: <message>" on stderr and returns kExitUsage.
int report_usage_error(std::string_view message);

// Prints "seltool: <message>" on stderr: the one format of every diagnostic line.
void print_diagnostic(std::string_view message);

}  // namespace seltool::cli
