// seltool watch: stream readiness events of targets as JSON Lines until interrupted, the count
// is reached, the timeout passes or no target is left.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/exit_codes.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

struct WatchOptions {
  CommonOptions common;
  std::optional<long> count;
  bool once = false;
  bool consume = false;
  bool data = false;
};

int run_watch(const WatchOptions&) {
  print_diagnostic("watch: not implemented yet");
  return kExitInternal;
}

}  // namespace

void add_watch_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<WatchOptions>();
  CLI::App* command =
      app.add_subcommand("watch", "Stream readiness events of TARGETs, one JSON object per line");
  add_common_options(*command, options->common);
  command->add_option("-n,--count", options->count, "stop after N readiness events")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  command->add_flag("-1,--once", options->once, "same as --count 1");
  command->add_flag("--consume", options->consume,
                    "read and discard available data of readable stream targets, report bytes");
  command->add_flag("--data", options->data, "like --consume, and put the data into the event");
  command->callback(
      [options, &invocation] { invocation.run = [options] { return run_watch(*options); }; });
}

}  // namespace seltool::cli
