// Systems other than Linux: observing another process's descriptors needs pidfd_getfd.
#include "cli/base/usage_error.h"
#include "cli/os/process.h"

namespace seltool::cli {

const std::vector<std::string>& descriptor_kinds() {
  static const std::vector<std::string> none;
  return none;
}

std::unique_ptr<Process> open_process(int, bool) {
  throw UsageError(
      "pid targets and 'seltool inspect' are not supported on this OS (they need Linux 5.6 or "
      "later)");
}

}  // namespace seltool::cli
