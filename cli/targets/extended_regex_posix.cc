#include <new>
#include <optional>

#include "cli/base/usage_error.h"
#include "cli/targets/extended_regex.h"

namespace seltool::cli {
namespace {

// Why `pattern` (which compiles) cannot be searched for with the wrapper, or nullopt. Walks it
// outside bracket expressions ("[...]", where '\' and '(' are ordinary, and "[:alpha:]",
// "[=a=]", "[.-.]" may hold a ']').
std::optional<std::string> unsupported(std::string_view pattern) {
  int depth = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      if (i + 1 < pattern.size() && pattern[i + 1] >= '1' && pattern[i + 1] <= '9') {
        return "back-references (\\" + std::string(1, pattern[i + 1]) +
               ") are not supported: they can take exponential time";
      }
      ++i;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (depth == 0) return std::string("')' without its '(': write \\) for the character");
      --depth;
    } else if (c == '[') {
      std::size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;  // a ']' first is the character
      while (j < pattern.size() && pattern[j] != ']') {
        if (pattern[j] == '[' && j + 1 < pattern.size() &&
            std::string_view(":=.").find(pattern[j + 1]) != std::string_view::npos) {
          const std::size_t end = pattern.find(std::string{pattern[j + 1], ']'}, j + 2);
          j = end == std::string_view::npos ? pattern.size() : end + 2;
        } else {
          ++j;
        }
      }
      i = j;
    }
  }
  return std::nullopt;
}

// The compiled `pattern`, or the error text of regcomp().
std::unique_ptr<regex_t> compile(const std::string& pattern, std::string& error) {
  auto compiled = std::make_unique<regex_t>();
  const int code =
      ::regcomp(compiled.get(), pattern.c_str(), REG_EXTENDED | REG_NOSUB | REG_NEWLINE);
  if (code == 0) return compiled;
  if (code == REG_ESPACE) throw std::bad_alloc();
  char text[256];
  ::regerror(code, compiled.get(), text, sizeof text);
  error = text;
  return nullptr;
}

}  // namespace

void ExtendedRegex::Free::operator()(regex_t* compiled) const {
  ::regfree(compiled);
  delete compiled;
}

ExtendedRegex::ExtendedRegex(std::string pattern, const std::string& option)
    : pattern_(std::move(pattern)) {
  const auto refuse = [&](const std::string& why) {
    return UsageError("invalid " + option + " " + quote_input(pattern_) + ": " + why +
                      " (a POSIX extended regular expression, e.g. '\"status\": *\"(ok|UP)\"')");
  };
  if (pattern_.find('\0') != std::string::npos) throw refuse("it has a NUL byte");
  std::string error;
  std::unique_ptr<regex_t> alone = compile(pattern_, error);
  if (!alone) throw refuse(error);
  ::regfree(alone.get());
  if (const std::optional<std::string> why = unsupported(pattern_)) throw refuse(*why);
  std::unique_ptr<regex_t> search = compile("^(.|[^.])*(" + pattern_ + ")", error);
  if (!search) throw refuse(error);
  search_.reset(search.release());
}

bool ExtendedRegex::found_in(std::string_view text) const {
  regmatch_t range[1];
  range[0].rm_so = 0;
  range[0].rm_eo = static_cast<regoff_t>(text.size());
  // REG_STARTEND: the text is the range, not a C string (glibc, the BSDs, macOS).
  const int code =
      ::regexec(search_.get(), text.empty() ? "" : text.data(), 1, range, REG_STARTEND);
  if (code == REG_ESPACE) throw std::bad_alloc();
  return code == 0;
}

}  // namespace seltool::cli
