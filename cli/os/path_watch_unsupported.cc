// No notices of path changes in this build: the caller looks at the path every interval.
#include "cli/os/path_watch.h"

namespace seltool::cli {

std::unique_ptr<PathWatch> open_path_watch(const std::string& path) {
  (void)path;
  return nullptr;
}

}  // namespace seltool::cli
