// seltool's --help text (also `seltool help [COMMAND]`): synopsis, description, operands,
// options, the command's notes and its exit codes, wrapped to 80 columns. It replaces CLI11's
// formatter, whose raw parser annotations ("Excludes:", "REQUIRED", "=default") are not for
// people, and renders from help_model.h like the manual page and the completions do.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/help/help_model.h"

namespace seltool::cli {

// The help text of one command (or of the program).
std::string help_text(const CommandDoc& command);

// Set it on the program before adding subcommands (CLI11 copies it into each one).
class HelpFormatter : public CLI::FormatterBase {
 public:
  std::string make_help(const CLI::App* app, std::string name,
                        CLI::AppFormatMode mode) const override;
};

}  // namespace seltool::cli
