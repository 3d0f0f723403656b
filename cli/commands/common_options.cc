#include "cli/commands/common_options.h"

#include <CLI/CLI.hpp>

#include "cli/base/timers.h"
#include "cli/base/usage_error.h"
#include "cli/commands/selector_option.h"
#include "cli/help/help_model.h"
#include "cli/targets/targets.h"

namespace seltool::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command.add_option("TARGET", options.targets, target_synopsis())->type_name("")->required();
  command
      .add_option("-e,--events", options.events,
                  "read, write or read,write (default: read; write for connect targets)")
      ->type_name("LIST")
      ->check(documented_choices({"read", "write", "read,write"}));
  add_duration_option(command, "-t,--timeout", options.timeout,
                      "give up after DURATION (1.5, 250ms, 2s, 1m30s, 1h, 1e1, inf)");
  add_duration_option(command, "--connect-timeout", options.connect_timeout,
                      "give up a connect attempt to one address after DURATION (default: the "
                      "OS's, often minutes)");
  add_http_options(command, options.http);
  add_selector_option(command, options.selector);
  command
      .add_option("--format", options.format,
                  "json (JSON Lines, the default: for programs) or text (one aligned line per "
                  "event, for a person)")
      ->type_name("FORMAT")
      ->check(CLI::IsMember({"json", "text"}));
  command.add_flag("-q,--quiet", options.quiet, "write no event lines");
  command.add_flag("-v,--verbose", options.verbose, "diagnostics on stderr");
}

TargetSetOptions target_set_options(const CommonOptions& options,
                                    std::optional<Duration> default_timeout) {
  if (options.connect_timeout && *options.connect_timeout <= Duration::zero()) {
    throw UsageError("invalid --connect-timeout: expected a duration above 0 (e.g. 2s, 500ms)");
  }
  TargetSetOptions set;
  set.targets = options.targets;
  set.events = parse_events(options.events);
  set.selector = options.selector;
  set.timeout = time_limit(options.timeout, default_timeout);
  set.connect_timeout = options.connect_timeout;
  set.http = http_options(options.http, options.targets);
  set.verbose = options.verbose;
  return set;
}

}  // namespace seltool::cli
