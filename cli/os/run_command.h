// `seltool wait ... -- COMMAND`: running COMMAND once the targets are ready. Per OS:
// run_command_posix.cc replaces seltool with it (execvp), run_command_windows.cc, where a
// process cannot be replaced, runs it and exits with its exit code.
#pragma once

#include <string>
#include <vector>

namespace seltool::cli {

// Runs `command` (its first word looked up in PATH) in seltool's place. Returns only when it
// could not run it (126, or 127: not found; a line on stderr says why) or, on Windows, with
// the command's exit code.
int run_command(const std::vector<std::string>& command);

}  // namespace seltool::cli
