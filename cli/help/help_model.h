// What seltool says about itself, read from its CLI11 definition: --help, `seltool help`, the
// manual page and the shell completions are all rendered from one CommandDoc, so none of them
// can drift from what the parser accepts. The few facts CLI11 cannot hold (what each exit code
// means, `-- COMMAND`, the values of an option the command checks itself) are attached here by
// the add_<name>_command() functions, next to the options they describe.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace seltool::cli {

struct ExitCodeDoc {
  ExitCodeDoc(int number, std::string what)
      : code(std::to_string(number)), meaning(std::move(what)) {}
  ExitCodeDoc(std::string code_text, std::string what)
      : code(std::move(code_text)), meaning(std::move(what)) {}
  std::string code;  // "0", "124", or a rule such as "128+N"
  std::string meaning;
};

// An option, or (with `names` holding just its name, e.g. "TARGET") a positional operand.
struct OptionDoc {
  std::vector<std::string> names;  // "-t", "--timeout": short names first
  std::string value_name;          // "DURATION"; empty for a flag
  bool repeatable = false;         // given several times, or an operand taking several words
  bool required = false;
  std::vector<std::string> choices;  // the values it takes, when they are a fixed list
  std::string description;

  bool takes_value() const { return !value_name.empty(); }
  // The description, and "(one of: ...)" when it does not already name each choice.
  std::string text() const;
};

struct CommandDoc {
  std::vector<std::string> path;  // {"seltool"}, {"seltool", "wait"}
  std::string description;
  std::vector<OptionDoc> options;      // visible options in definition order
  std::vector<OptionDoc> positionals;  // operands in order
  bool runs_command = false;           // accepts "-- COMMAND [ARG...]" after its operands
  std::string notes;                   // the command's footer (hand-wrapped lines)
  std::vector<ExitCodeDoc> exit_codes;
  std::vector<CommandDoc> commands;  // visible subcommands
  std::string version;               // "seltool 0.1.0" (the program only)

  const std::string& name() const { return path.back(); }
  std::string full_name() const;  // "seltool wait"
  // "seltool wait [OPTIONS] TARGET... [-- COMMAND [ARG...]]"
  std::string synopsis() const;
};

// `app` and its visible subcommands (a subcommand or option whose group is "" is hidden).
CommandDoc describe(const CLI::App& app);

// The same, as JSON: what tests compare the manual page and the completions against.
nlohmann::json to_json(const CommandDoc& command);

// Records what each exit code of `command` means (shown by --help and the manual page).
void document_exit_codes(CLI::App& command, std::vector<ExitCodeDoc> codes);

// Records that `command` accepts "-- COMMAND [ARG...]" (main() splits it off before CLI11
// parses): its synopsis shows it and the completions complete a command after "--".
void document_runs_command(CLI::App& command);

// A validator that accepts anything and only names `values` for --help and the completions:
// for options whose command checks the value itself, with its own message (like -s). Options
// checked by CLI::IsMember are found without it.
CLI::Validator documented_choices(const std::vector<std::string>& values);
// The same with a list made when it is shown (e.g. of commands added later).
CLI::Validator documented_choices(std::function<std::vector<std::string>()> values);

// The names of the visible subcommands of `app`, in the order they were added.
std::vector<std::string> command_names(const CLI::App& app);

}  // namespace seltool::cli
