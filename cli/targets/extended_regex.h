// A POSIX extended regular expression (regcomp(REG_EXTENDED | REG_NEWLINE)), searched for in a
// text of bytes as grep -E does, line by line: --expect-body-regex and --expect-header. POSIX
// only (the HTTP checks' files).
//
// Searched in time linear in the text: glibc's regexec() tries an unanchored pattern at every
// start, which is quadratic for some (on a 64 KiB line, 'a.*b.*c.*zz' took 23 s and
// '(a|aa)*b' 26 s), so the pattern is searched as "^(.|[^.])*(RE)": one anchored pass per line
// (11 ms on 64 KiB, under 0.1 s on 1 MiB). "(.|[^.])": '.' does not match a NUL byte.
// Back-references, which make regexec() exponential, are refused, as is a ')' without its '('
// (it would close the wrapper's group).
#pragma once

#include <regex.h>

#include <memory>
#include <string>
#include <string_view>

namespace seltool::cli {

class ExtendedRegex {
 public:
  // Throws UsageError "invalid <option> '<pattern>': <why>" when `pattern` does not compile
  // or has a back-reference or an unmatched ')'.
  ExtendedRegex(std::string pattern, const std::string& option);

  // Whether the pattern matches within a line of `text` (NUL bytes included): '^' and '$' are a
  // line's start and end, and neither '.' nor "[^...]" matches a newline.
  bool found_in(std::string_view text) const;
  const std::string& pattern() const { return pattern_; }

 private:
  struct Free {
    void operator()(regex_t* compiled) const;
  };

  std::string pattern_;
  std::unique_ptr<regex_t, Free> search_;  // the anchored wrapper
};

}  // namespace seltool::cli
