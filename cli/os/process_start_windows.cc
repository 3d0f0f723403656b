// prepare_process() on Windows (process_start.h): stdout and stderr in binary mode, so that a
// line ends with "\n" as on POSIX (text mode would write "\r\n"), then the console handling of
// stop_signals.h.
#include <fcntl.h>
#include <io.h>

#include "cli/os/process_start.h"
#include "cli/os/stop_signals.h"

namespace seltool::cli {

void prepare_process() {
  ::_setmode(1, _O_BINARY);
  ::_setmode(2, _O_BINARY);
  install_signal_cleanup();
}

}  // namespace seltool::cli
