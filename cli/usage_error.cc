#include "cli/usage_error.h"

#include <cstdio>
#include <string>

#include "cli/exit_codes.h"

namespace seltool::cli {

void print_diagnostic(std::string_view message) {
  std::string line = "seltool: ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

int report_usage_error(std::string_view message) {
  print_diagnostic(message);
  return kExitUsage;
}

}  // namespace seltool::cli
