// Systems other than Linux: the owners of a port come from Linux's sock_diag and /proc.
#include "cli/base/usage_error.h"
#include "cli/os/port_owners.h"

namespace seltool::cli {

PortOwners find_port_owners(int, const std::vector<SocketAddress>&) {
  throw UsageError("'seltool inspect --port' is not supported on this OS (it needs Linux)");
}

}  // namespace seltool::cli
