// Whole-number options (cli/base/number_option.h): the validator never throws, accepts exactly 1 to
// 18 decimal digits whose value is at least the minimum, and otherwise gives a one-line
// message quoting the input. The first byte picks the minimum (0 to 3); the rest is the text.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "cli/base/number_option.h"
#include "tests/fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  if (size == 0) return 0;
  const long long minimum = data[0] % 4;
  const std::string input(as_text(data + 1, size - 1));
  std::string text = input;
  std::string error;
  try {
    error = seltool::cli::whole_number(minimum, "a count")(text);
  } catch (const std::exception& thrown) {
    violated(std::string("the validator threw: ") + thrown.what(), input);
  }
  const bool digits = !input.empty() && input.size() <= 18 &&
                      input.find_first_not_of("0123456789") == std::string::npos;
  const bool expected = digits && std::stoll(input) >= minimum;
  check(error.empty() == expected, expected ? "rejected a valid number" : "accepted a bad number",
        input);
  check(text == input, "the validator changed the text", input);
  if (!error.empty()) check_message(error, input);
  return 0;
}
