// seltool wait: block until every target (or, with --any, one) is ready, then exit 0 or exec
// the COMMAND given after "--".
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/exit_codes.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

struct WaitOptions {
  CommonOptions common;
  bool any = false;
  std::optional<Duration> interval;
  std::vector<std::string> command;
};

int run_wait(const WaitOptions&) {
  print_diagnostic("wait: not implemented yet");
  return kExitInternal;
}

}  // namespace

void add_wait_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<WaitOptions>();
  CLI::App* command = app.add_subcommand(
      "wait", "Block until TARGETs are ready, then exit 0 or run '-- COMMAND [ARG...]'");
  add_common_options(*command, options->common);
  command->add_flag("--any", options->any, "one ready target is enough (default: all)");
  add_duration_option(*command, "-i,--interval", options->interval,
                      "retry refused connects every DURATION (default 0.5s)");
  command->callback([options, &invocation] {
    invocation.takes_command = true;
    options->command = invocation.command;
    invocation.run = [options] { return run_wait(*options); };
  });
}

}  // namespace seltool::cli
