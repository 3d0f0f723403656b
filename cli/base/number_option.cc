#include "cli/base/number_option.h"

#include "cli/base/usage_error.h"

namespace seltool::cli {

CLI::Validator whole_number(long long minimum, const std::string& what) {
  return CLI::Validator(
      [minimum, what](std::string& text) {
        const bool digits = !text.empty() && text.size() < 19 &&
                            text.find_first_not_of("0123456789") == std::string::npos;
        return digits && std::stoll(text) >= minimum
                   ? std::string()
                   : "expected " + what + ", " + std::to_string(minimum) + " or more, not " +
                         quote_input(text);
      },
      "");
}

}  // namespace seltool::cli
