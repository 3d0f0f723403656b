// The subcommands of seltool. Each lives in its own <name>_command.cc and is added to the
// program by one add_<name>_command() call in main.cc.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace seltool::cli {

// What parsing the command line decides.
struct Invocation {
  // Set by the chosen subcommand's callback: runs the command and returns the exit code.
  // It may throw UsageError (exit 2, before anything is written to stdout).
  std::function<int()> run;
  // The words after the first "--" (`seltool wait TARGET -- COMMAND ARG...`), if "--" was given.
  std::vector<std::string> command;
  bool has_command = false;
  // Set by the callback of a subcommand that takes a COMMAND; for the others "--" is an error.
  bool takes_command = false;
};

// Each adds its subcommand, with its options and help, to `app`.
void add_selectors_command(CLI::App& app, Invocation& invocation);
void add_watch_command(CLI::App& app, Invocation& invocation);
void add_wait_command(CLI::App& app, Invocation& invocation);
void add_echo_command(CLI::App& app, Invocation& invocation);
void add_load_command(CLI::App& app, Invocation& invocation);
void add_inspect_command(CLI::App& app, Invocation& invocation);
// Add these two last: they describe every command added before them (and each other).
void add_completion_command(CLI::App& app, Invocation& invocation);
void add_help_command(CLI::App& app, Invocation& invocation);

}  // namespace seltool::cli
