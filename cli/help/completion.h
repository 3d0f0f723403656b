// Shell completion scripts for bash, zsh and fish, rendered from the program's CLI11
// definition (help_model.h): commands, options, whether an option takes a value, and the values
// when they are a fixed list; operands without a list complete file names; after `wait ... --`
// a command line is completed. `seltool completion SHELL` prints them.
#pragma once

#include <string>
#include <vector>

#include "cli/help/help_model.h"

namespace seltool::cli {

// The shells there is a script for: "bash", "zsh", "fish".
const std::vector<std::string>& completion_shells();

// The script for `shell` (one of completion_shells()).
std::string completion_script(const CommandDoc& program, const std::string& shell);

}  // namespace seltool::cli
