#include <unistd.h>

#include "cli/os/terminal.h"

namespace seltool::cli {

bool stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

}  // namespace seltool::cli
