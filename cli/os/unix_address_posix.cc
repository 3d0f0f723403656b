// Unix socket addresses on POSIX systems (see socket_address.h; unix_address_windows.cc
// refuses them).
#include <cstddef>
#include <cstring>

#include "cli/base/usage_error.h"
#include "cli/os/socket_address.h"

namespace seltool::cli {

const bool kUnixSocketsOffered = true;

SocketAddress unix_socket_address(std::string_view path, std::string_view argument) {
  sockaddr_un un{};
  if (path.empty() || path.size() >= sizeof un.sun_path) {
    throw UsageError("invalid Unix socket path in " + quote_input(argument) + ": expected 1 to " +
                     std::to_string(sizeof un.sun_path - 1) + " bytes");
  }
  un.sun_family = AF_UNIX;
  std::memcpy(un.sun_path, path.data(), path.size());
  SocketAddress address;
  std::memcpy(&address.storage, &un, sizeof un);
  address.length = socklen_t(offsetof(sockaddr_un, sun_path) + path.size() + 1);
  return address;
}

std::string unix_socket_path(const SocketAddress& address) {
  const auto* un = reinterpret_cast<const sockaddr_un*>(&address.storage);
  const std::size_t offset = offsetof(sockaddr_un, sun_path);
  if (address.length <= offset || un->sun_path[0] == '\0') return {};  // unnamed
  return std::string(un->sun_path, strnlen(un->sun_path, address.length - offset));
}

}  // namespace seltool::cli
