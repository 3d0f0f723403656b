#include <io.h>
#include <stdio.h>

#include "cli/os/terminal.h"

namespace seltool::cli {

bool stderr_is_terminal() { return _isatty(_fileno(stderr)) != 0; }

}  // namespace seltool::cli
