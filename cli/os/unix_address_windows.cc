// Unix sockets on Windows: not offered (wine and older Windows have none; seltool's Windows
// targets are TCP sockets), so a unix: address is a usage error that says so.
#include "cli/base/usage_error.h"
#include "cli/os/socket_address.h"

namespace seltool::cli {

const bool kUnixSocketsOffered = false;

SocketAddress unix_socket_address(std::string_view, std::string_view argument) {
  throw UsageError("invalid address " + quote_input(argument) +
                   ": Unix sockets are not supported on Windows (use HOST:PORT, tcp:HOST:PORT "
                   "or tcp-listen:[HOST:]PORT)");
}

std::string unix_socket_path(const SocketAddress&) { return {}; }

}  // namespace seltool::cli
