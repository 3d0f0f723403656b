// Whole-number options (`watch -n`, `echo --max-connections`, `--buffer-limit`): digits only,
// so that "-1" cannot wrap around to the largest unsigned value.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace seltool::cli {

// Accepts decimal digits (at most 18) whose value is at least `minimum`; otherwise the error
// says "expected `what`, `minimum` or more, not '...'".
CLI::Validator whole_number(long long minimum, const std::string& what);

}  // namespace seltool::cli
