// seltool help [COMMAND]: the help of the program or of one command (as `COMMAND --help`);
// --man prints the manual page seltool(1) instead, for packagers and the build.
#include <CLI/CLI.hpp>
#include <memory>

#include "cli/base/exit_codes.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/help/help_formatter.h"
#include "cli/help/help_model.h"
#include "cli/help/man_page.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

struct HelpOptions {
  std::string command;
  bool man = false;
  bool json = false;
};

int write(const std::string& text) {
  write_stdout(text);
  return kExitOk;
}

int run_help(const CLI::App& program, const HelpOptions& options) {
  const CommandDoc doc = describe(program);
  if (options.man) return write(man_page(doc));
  if (options.json) return write(to_json(doc).dump(2) + "\n");
  if (options.command.empty()) return write(help_text(doc));
  std::string names;
  for (const CommandDoc& command : doc.commands) {
    if (command.name() == options.command) return write(help_text(command));
    names += (names.empty() ? "" : ", ") + command.name();
  }
  throw UsageError("unknown command '" + options.command + "': expected one of " + names);
}

}  // namespace

void add_help_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<HelpOptions>();
  CLI::App* command = app.add_subcommand(
      "help", "Show the help of seltool or of COMMAND (the same as 'seltool COMMAND --help')");
  command->add_option("COMMAND", options->command, "the command to describe")
      ->type_name("")
      ->check(documented_choices([&app] { return command_names(app); }));
  auto* man = command->add_flag(
      "--man", options->man, "print the manual page seltool(1) as roff (what 'man seltool' shows)");
  // For tests and tools: the command-line definition the help, manual and completions show.
  command->add_flag("--json", options->json, "")->group("")->excludes(man);
  document_exit_codes(*command, {{kExitOk, "the help was written"},
                                 {kExitUsage, "unknown COMMAND or option"},
                                 {kExitInternal, "stdout cannot be written"}});
  command->callback([&app, &invocation, options] {
    invocation.run = [&app, options] { return run_help(app, *options); };
  });
}

}  // namespace seltool::cli
