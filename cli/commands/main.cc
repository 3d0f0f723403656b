// seltool: readiness of descriptors, sockets and pipes on the command line, as JSON Lines.
// main() only parses the command line, dispatches to the chosen subcommand and maps what
// escapes from it to an exit code (see exit_codes.h).
#include <CLI/CLI.hpp>
#include <cstring>
#include <exception>
#include <memory>
#include <sstream>
#include <string>

#include "cli/base/exit_codes.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/help/help_formatter.h"
#include "cli/help/help_model.h"
#include "cli/os/process_start.h"
#include "cli/output/json_lines.h"

namespace {

constexpr const char* kVersion = "0.1.0";

// CLI11's message, or a clearer one when the command itself is missing or unknown.
int report_parse_error(CLI::App& app, const CLI::ParseError& error, int argc, char** argv) {
  using seltool::cli::quote_input;
  using seltool::cli::report_usage_error;
  std::string commands;
  bool known = false;
  for (const CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    commands += (commands.empty() ? "" : ", ") + command->get_name();
    known |= argc > 1 && command->get_name() == argv[1];
  }
  if (argc < 2) {
    return report_usage_error("missing command: expected one of " + commands +
                              " (see 'seltool --help')");
  }
  const std::string first = argv[1];
  if (first[0] == '-') {
    return report_usage_error("unknown option " + quote_input(first) +
                              ": expected --help, --version or a command (" + commands + ")");
  }
  if (!known) {
    return report_usage_error("unknown command " + quote_input(first) + ": expected one of " +
                              commands);
  }
  return report_usage_error(std::string(error.what()) + " (see 'seltool " + first + " --help')");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace seltool::cli;
  prepare_process();  // before anything opens a descriptor
  CLI::App app("Readiness of descriptors, sockets and pipes, as JSON Lines.", "seltool");
  app.formatter(std::make_shared<HelpFormatter>());  // before the commands: they copy it
  app.set_version_flag("-V,--version", std::string("seltool ") + kVersion,
                       "Print the version and exit");
  app.require_subcommand(1);
  // Not CLI11's Windows default "/t": on every OS "/path" is a target, never an option.
  app.allow_windows_style_options(false);
  app.footer(
      "Output: JSON Lines on stdout (one event per line, flushed), diagnostics on stderr.\n"
      "'seltool help COMMAND' shows a command's options and exit codes; 'man seltool' shows\n"
      "them all.");
  document_exit_codes(app, {{kExitOk, "the condition was met, or stopped by SIGINT/SIGTERM"},
                            {kExitFailed, "a target failed"},
                            {kExitUsage, "usage error: bad command line or input"},
                            {kExitTimeout, "the timeout passed first"},
                            {kExitInternal, "seltool itself failed"},
                            {"126/127", "wait's COMMAND cannot be run / was not found"}});

  Invocation invocation;
  add_selectors_command(app, invocation);
  add_watch_command(app, invocation);
  add_wait_command(app, invocation);
  add_echo_command(app, invocation);
  add_load_command(app, invocation);
  add_inspect_command(app, invocation);
  add_completion_command(app, invocation);
  add_help_command(app, invocation);

  // CLI11 would fold the words after "--" into the positional targets: split them off first.
  int parsed_argc = argc;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) {
      parsed_argc = i;
      invocation.has_command = true;
      invocation.command.assign(argv + i + 1, argv + argc);
      break;
    }
  }

  try {
    app.parse(parsed_argc, argv);
  } catch (const CLI::Success& done) {  // --help, --version
    // Through write_stdout(), which reports a failed write (CLI11's std::cout would not).
    std::ostringstream text;
    app.exit(done, text, text);
    try {
      write_stdout(text.str());
    } catch (const std::exception& error) {
      print_diagnostic(error.what());
      return kExitInternal;
    }
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    return report_parse_error(app, error, parsed_argc, argv);
  } catch (const UsageError& error) {
    return report_usage_error(error.what());
  }
  if (invocation.has_command && !invocation.takes_command) {
    return report_usage_error("'-- COMMAND' is accepted only by 'seltool wait'");
  }

  try {
    return invocation.run();
  } catch (const UsageError& error) {
    return report_usage_error(error.what());
  } catch (const std::exception& error) {
    print_diagnostic(error.what());
    return kExitInternal;
  }
}
