// `--listen` of `seltool echo`: HOST:PORT, [V6]:PORT, :PORT (every address) or unix:PATH (also
// unix://PATH, read as targets read it: unix_path_in()), opened as a non-blocking listening socket.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include "cli/os/socket_address.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

// A listening socket; the socket file it created (unix:PATH) is removed when it is destroyed
// (also when a later --listen fails before the server runs) if it is still the file created
// (created_files.h, which also removes it when a signal ends seltool).
struct Listener {
  Listener(UniqueFd fd, std::string unix_path)
      : fd(std::move(fd)), unix_path(std::move(unix_path)) {}
  Listener(Listener&& other) noexcept
      : fd(std::move(other.fd)), unix_path(std::exchange(other.unix_path, {})) {}
  Listener& operator=(Listener&&) = delete;
  ~Listener();

  UniqueFd fd;
  std::string unix_path;  // the socket file this listener created, empty for TCP
};

// What a --listen argument names, before anything is resolved or opened: a TCP endpoint
// (HOST:PORT, [V6]:PORT, :PORT) or, for unix:PATH, a Unix socket path (unix_path not empty).
struct ListenAddress {
  HostPort endpoint;
  std::string unix_path;
};

// Parses `text` without touching the system. Throws UsageError naming "--listen TEXT" when it
// is not one of the forms.
ListenAddress parse_listen_address(std::string_view text);

// Parses `text` and listens there with `backlog`. ":PORT" prefers the IPv6 wildcard with
// IPV6_V6ONLY off (IPv4 and IPv6 alike). Throws UsageError for text that is not an address or
// a host that does not resolve, and as throw_open_failure() (usage_error.h) when the kernel
// refuses, e.g. a port in use or a path in a directory that does not exist.
Listener open_listener(std::string_view text, int backlog);

}  // namespace seltool::cli
