#include "cli/targets/http_options.h"

#include "cli/base/usage_error.h"

namespace seltool::cli {
namespace {

// RFC 9110's tchar.
bool token_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool blank(char c) { return c == ' ' || c == '\t'; }

}  // namespace

HttpHeader parse_http_header(std::string_view text, std::string_view option) {
  const auto refuse = [&](const std::string& why) {
    return UsageError("invalid " + std::string(option) + " " + quote_input(text) + ": " + why +
                      " (expected 'NAME: VALUE', e.g. 'Content-Type: application/json')");
  };
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos) throw refuse("no ':' after the header's name");
  HttpHeader header{std::string(text.substr(0, colon)), ""};
  if (header.name.empty()) throw refuse("the header's name is empty");
  for (char c : header.name) {
    if (!token_character(c))
      throw refuse("a header's name has letters, digits and !#$%&'*+-.^_`|~");
  }
  std::string_view value = text.substr(colon + 1);
  while (!value.empty() && blank(value.front())) value.remove_prefix(1);
  while (!value.empty() && blank(value.back())) value.remove_suffix(1);
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw refuse("a header's value is one line");
  }
  header.value = std::string(value);
  return header;
}

}  // namespace seltool::cli
