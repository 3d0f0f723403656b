// The options `watch` and `wait` share: targets, events, timeouts, selector, quiet, verbose.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/base/duration.h"
#include "cli/commands/http_options.h"
#include "cli/targets/target_set.h"

namespace CLI {
class App;
}  // namespace CLI

namespace seltool::cli {

struct CommonOptions {
  std::vector<std::string> targets;  // exactly as given (they are echoed in events)
  std::string events;                // "", "read", "write" or "read,write" ("": per target)
  std::optional<Duration> timeout;   // unset: the command's default
  std::optional<Duration> connect_timeout;
  HttpOptionWords http;  // --http-status, --expect-body-regex, --cacert, ...
  std::string selector;
  std::string format = "json";  // --format json|text
  bool quiet = false;
  bool verbose = false;
};

// Adds TARGET... and -e, -t, --connect-timeout, the HTTP options, -s, --format, -q, -v to
// `command`.
void add_common_options(CLI::App& command, CommonOptions& options);

// The TargetSet's options from the command line's; -t defaults to `default_timeout` (none:
// no limit).
TargetSetOptions target_set_options(const CommonOptions& options,
                                    std::optional<Duration> default_timeout = std::nullopt);

}  // namespace seltool::cli
