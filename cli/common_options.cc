#include "cli/common_options.h"

#include <CLI/CLI.hpp>

#include "cli/help_model.h"
#include "cli/selector_option.h"

namespace seltool::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command
      .add_option("TARGET", options.targets,
                  "N | fd:N | - | stdin | [tcp:]HOST:PORT | tcp:[V6]:PORT | "
                  "tcp-listen:[HOST:]PORT | unix:PATH | unix-listen:PATH | PATH | file:PATH")
      ->type_name("")
      ->required();
  command
      .add_option("-e,--events", options.events,
                  "read, write or read,write (default: read; write for connect targets)")
      ->type_name("LIST")
      ->check(documented_choices({"read", "write", "read,write"}));
  add_duration_option(command, "-t,--timeout", options.timeout,
                      "give up after DURATION (1.5, 250ms, 2s, 1m, 1h)");
  add_selector_option(command, options.selector);
  command.add_flag("-q,--quiet", options.quiet, "write no event lines");
  command.add_flag("-v,--verbose", options.verbose, "diagnostics on stderr");
}

}  // namespace seltool::cli
