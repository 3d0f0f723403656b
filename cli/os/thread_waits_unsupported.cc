// Systems without /proc/PID/task: no thread is reported (inspect is refused there anyway).
#include "cli/os/thread_waits.h"

namespace seltool::cli {

std::vector<ThreadWait> thread_waits(int) { return {}; }

}  // namespace seltool::cli
