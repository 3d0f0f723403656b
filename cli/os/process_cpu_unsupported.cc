// Systems other than Linux (and Linux built as another POSIX system): no /proc/PID/stat.
#include "cli/base/usage_error.h"
#include "cli/os/process_cpu.h"

namespace seltool::cli {

double process_cpu_seconds(long) {
  throw UsageError(
      "--server-pid is not supported on this OS (it reads /proc/PID/stat, Linux only): leave it "
      "out");
}

}  // namespace seltool::cli
