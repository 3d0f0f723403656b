#include "cli/output/format.h"

#include <chrono>

#include "cli/base/usage_error.h"

namespace seltool::cli {
namespace {

// Initialised before main() runs: the "start" that "t" counts from.
const std::chrono::steady_clock::time_point kStarted = std::chrono::steady_clock::now();

}  // namespace

OutputFormat parse_output_format(std::string_view name) {
  if (name == "json") return OutputFormat::kJson;
  if (name == "text") return OutputFormat::kText;
  throw UsageError("invalid --format " + quote_input(name) + ": expected json or text");
}

double seconds_since_start() {
  const auto elapsed = std::chrono::steady_clock::now() - kStarted;
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  return double(micros) / 1e6;
}

}  // namespace seltool::cli
