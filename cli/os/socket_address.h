// Socket addresses as users write them ("HOST:PORT", "[V6]:PORT", ":PORT", a Unix path) and as
// seltool prints them ("127.0.0.1:8080", "[::1]:8080", "/run/app.sock").
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/os/socket_system.h"

namespace seltool::cli {

struct HostPort {
  std::string host;        // empty for ":PORT" (any address when listening)
  std::string port;        // decimal, 0-65535
  int family = AF_UNSPEC;  // AF_INET or AF_INET6: resolve to that family only (socat's TCP4:)
};

// Splits "HOST:PORT", "[V6]:PORT" or ":PORT". IPv6 literals must be in brackets, so the split is
// never ambiguous. Throws UsageError naming `argument` (the text as the user gave it).
HostPort split_host_port(std::string_view text, std::string_view argument);

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

// Resolves a TCP endpoint (getaddrinfo). `passive`: for bind(), an empty host means every
// address. On failure `addresses` is empty, `error` says why and `error_code` names the
// getaddrinfo error ("EAI_NONAME"); a name that does not resolve yet may resolve later, so
// callers decide whether that is final.
struct Resolution {
  std::vector<SocketAddress> addresses;
  std::string error;
  std::string error_code;
};
Resolution resolve_tcp(const HostPort& endpoint, bool passive);

// The path of a Unix socket address as users write it, for targets and listeners alike:
// "unix:PATH" and "unix://PATH" name PATH (unix:///run/app.sock is /run/app.sock,
// unix://app.sock is app.sock in the working directory); nullopt when `text` is neither.
std::optional<std::string_view> unix_path_in(std::string_view text);

// The address of a Unix socket at `path`. Throws UsageError naming `argument` when the path is
// empty or too long for sockaddr_un, or on Windows, which seltool offers no Unix sockets on.
// Defined per OS in unix_address_{posix,windows}.cc, with unix_socket_path().
SocketAddress unix_socket_address(std::string_view path, std::string_view argument);
// Whether this OS's build offers Unix sockets (false on Windows): what --help lists.
extern const bool kUnixSocketsOffered;
// The path of a Unix socket address ("" for an unnamed socket).
std::string unix_socket_path(const SocketAddress& address);

// "127.0.0.1:8080", "[::1]:8080", "unix:/run/app.sock" (each a valid TARGET), or "" for an
// unnamed socket.
std::string format_address(const SocketAddress& address);
// The socket's own address (getsockname) or its peer's (getpeername); "" when there is none
// (not a socket, not connected, unnamed).
std::string local_address(int fd);
// The socket's own address as the kernel has it (a port 0 bound made real); nullopt on error.
std::optional<SocketAddress> local_socket_address(int fd);
std::string peer_address(int fd);

}  // namespace seltool::cli
