#include "cli/targets/http_status.h"

#include "cli/base/usage_error.h"

namespace seltool::cli {
namespace {

constexpr long kLowest = 100;
constexpr long kHighest = 599;

// A status code of three digits from 100 to 599, or -1.
long status_code(std::string_view text) {
  if (text.size() != 3) return -1;
  long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value >= kLowest && value <= kHighest ? value : -1;
}

}  // namespace

HttpStatuses HttpStatuses::parse(std::string_view list) {
  HttpStatuses statuses;
  statuses.text_ = std::string(list);
  statuses.ranges_.clear();
  std::string_view rest = list;
  for (;;) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    const std::size_t dash = item.find('-');
    const long first = status_code(item.substr(0, dash));
    const long last = dash == std::string_view::npos ? first : status_code(item.substr(dash + 1));
    if (first < 0 || last < first) {
      throw UsageError("invalid --http-status '" + std::string(list) + "': '" + std::string(item) +
                       "' is not a status from 100 to 599 or a range FIRST-LAST "
                       "(e.g. 200-299,404)");
    }
    statuses.ranges_.emplace_back(first, last);
    if (comma == std::string_view::npos) return statuses;
    rest.remove_prefix(comma + 1);
  }
}

bool HttpStatuses::accepts(long status) const {
  for (const auto& [first, last] : ranges_) {
    if (status >= first && status <= last) return true;
  }
  return false;
}

}  // namespace seltool::cli
