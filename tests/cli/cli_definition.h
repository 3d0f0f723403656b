// What the tests of --help, the manual page, the completions and the install compare against:
// seltool's live command-line definition (`seltool help --json`, read from its CLI11 App), so
// that an option added to any command is checked everywhere without touching these tests.
#pragma once

#include <string>
#include <vector>

#include "tests/support/seltool_process.h"

namespace seltool::testing {

// The program: {"name", "synopsis", "options": [{"names", "value_name", "choices", ...}],
// "positionals", "runs_command", "exit_codes", "commands": [...the same per command]}.
Json cli_definition();

// The program and each of its commands.
std::vector<Json> program_and_commands();

// A file //cli:generated_docs wrote (seltool.1, seltool.bash, _seltool, seltool.fish), or the
// seltool binary beside them, in the test's runfiles.
std::string generated_file(const std::string& name);

// The contents of the file at `path` ("" when it cannot be read).
std::string read_file(const std::string& path);

}  // namespace seltool::testing
