// What every fuzz target checks of a parser: it throws nothing but UsageError, and a
// UsageError's message is what a person can read on one line (issue 12, break 7): no control
// character, no byte that is not UTF-8. A broken invariant prints the input and aborts, which
// libFuzzer reports as a crash (and keeps the input).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "cli/base/usage_error.h"
#include "cli/output/data_encoding.h"

namespace seltool::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Printable form of `input` for the report (the raw bytes are in libFuzzer's crash file).
inline std::string escaped(std::string_view input) {
  std::string out;
  for (const unsigned char c : input) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += char(c);
    } else {
      char hex[5];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

[[noreturn]] inline void violated(std::string_view what, std::string_view input) {
  std::fprintf(stderr, "invariant broken: %.*s\ninput: \"%s\"\n", int(what.size()), what.data(),
               escaped(input).c_str());
  std::abort();
}

inline void check(bool holds, std::string_view what, std::string_view input) {
  if (!holds) violated(what, input);
}

// A message a person reads: one line of valid UTF-8 without control characters.
inline void check_message(std::string_view message, std::string_view input) {
  check(!message.empty(), "empty error message", input);
  for (const unsigned char c : message) {
    if (c < 0x20 || c == 0x7f)
      violated("control character in error message: " + escaped(message), input);
  }
  check(cli::is_valid_utf8(message), "error message is not UTF-8: " + escaped(message), input);
}

// Runs `parse`; true when it returned, false when it threw UsageError (whose message is
// checked); anything else thrown breaks the invariant.
template <typename Parse>
bool parses(Parse&& parse, std::string_view input) {
  try {
    parse();
    return true;
  } catch (const cli::UsageError& error) {
    check_message(error.what(), input);
    return false;
  } catch (const std::exception& error) {
    violated(std::string("threw something other than UsageError: ") + error.what(), input);
  } catch (...) {
    violated("threw something other than UsageError", input);
  }
}

}  // namespace seltool::fuzz
