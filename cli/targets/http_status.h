// The HTTP statuses that make an http:// or https:// target ready (--http-status): a list of
// codes and ranges such as "200-299,404". The default, 200-399, is wait4x's: a redirect
// (3xx) counts as an answer, since seltool does not follow it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seltool::cli {

class HttpStatuses {
 public:
  HttpStatuses() : text_("200-399"), ranges_{{200, 399}} {}
  // Parses "CODE" or "FIRST-LAST" items separated by commas, each code from 100 to 599.
  // Throws UsageError naming --http-status and the expected form otherwise.
  static HttpStatuses parse(std::string_view list);

  bool accepts(long status) const;
  const std::string& text() const { return text_; }  // as given, e.g. "200-299,404"

 private:
  std::string text_;
  std::vector<std::pair<long, long>> ranges_;  // inclusive
};

}  // namespace seltool::cli
