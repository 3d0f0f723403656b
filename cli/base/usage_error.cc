#include "cli/base/usage_error.h"

#include <errno.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

#include "cli/base/error_info.h"
#include "cli/base/exit_codes.h"

namespace seltool::cli {
namespace {

// The length of the valid UTF-8 sequence at the start of `text` (0: not valid UTF-8), and its
// code point in `code`.
std::size_t utf8_sequence(std::string_view text, char32_t& code) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  std::size_t length = 0;
  char32_t minimum = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2, code = lead & 0x1F, minimum = 0x80;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3, code = lead & 0x0F, minimum = 0x800;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4, code = lead & 0x07, minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(i) & 0x3F);
  }
  const bool surrogate = code >= 0xD800 && code <= 0xDFFF;
  return code < minimum || code > 0x10FFFF || surrogate ? 0 : length;
}

void append_hex(std::string& out, const char* prefix, unsigned value, int digits) {
  char text[12];
  std::snprintf(text, sizeof text, "%s%0*X", prefix, digits, value);
  out += text;
}

// Escapes control characters and bytes that are not UTF-8; with `quote`, also `\` and `'`.
std::string escaped(std::string_view text, bool quote) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const unsigned char c = static_cast<unsigned char>(text[0]);
    std::size_t used = 1;
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (quote && (c == '\\' || c == '\'')) {
      out += '\\';
      out += char(c);
    } else if (c < 0x20 || c == 0x7F) {
      append_hex(out, "\\x", c, 2);
    } else if (c < 0x80) {
      out += char(c);
    } else {
      char32_t code = 0;
      used = utf8_sequence(text, code);
      if (used == 0) {
        used = 1;
        append_hex(out, "\\x", c, 2);
      } else if (code <= 0x9F) {  // C1 controls
        append_hex(out, "\\u", unsigned(code), 4);
      } else {
        out.append(text.substr(0, used));
      }
    }
    text.remove_prefix(used);
  }
  return out;
}

}  // namespace

std::string quote_input(std::string_view text) { return "'" + escaped(text, true) + "'"; }

std::string printable(std::string_view text) { return escaped(text, false); }

void print_diagnostic(std::string_view message) {
  const std::string line = "seltool: " + printable(message) + '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

bool is_resource_error(int errnum) {
  return errnum == EMFILE || errnum == ENFILE || errnum == ENOMEM || errnum == ENOBUFS;
}

void throw_open_failure(const std::string& message, int errnum) {
  const std::string text = message + ": " + error_text(errnum);
  if (is_resource_error(errnum)) throw std::system_error(errnum, std::generic_category(), text);
  throw UsageError(text);
}

int report_usage_error(std::string_view message) {
  print_diagnostic(message);
  return kExitUsage;
}

}  // namespace seltool::cli
