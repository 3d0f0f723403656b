// `--listen` of `seltool echo`: HOST:PORT, [V6]:PORT, :PORT (every address) or unix:PATH (also
// unix://PATH, read as targets read it: unix_path_in()), opened as a non-blocking listening socket
// (TCP or a Unix stream socket) or, for `--udp`, a bound datagram socket (UDP or Unix datagram).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/os/socket_address.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

// A listening socket; the socket file it created (unix:PATH) is removed when it is destroyed
// (also when a later --listen fails before the server runs) if it is still the file created
// (created_files.h, which also removes it when a signal ends seltool).
struct Listener {
  Listener(UniqueFd fd, std::string unix_path, bool datagram)
      : fd(std::move(fd)), unix_path(std::move(unix_path)), datagram(datagram) {}
  Listener(Listener&& other) noexcept
      : fd(std::move(other.fd)),
        unix_path(std::exchange(other.unix_path, {})),
        datagram(other.datagram),
        shared(other.shared) {}
  Listener& operator=(Listener&&) = delete;
  ~Listener();

  UniqueFd fd;
  std::string unix_path;  // the socket file this listener created, empty for TCP and UDP
  bool datagram;          // a datagram socket (--udp): no accept(), a datagram at a time
  bool shared = false;    // one of several sockets on one port, the kernel spreading the load
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

// Parses `text` and listens there with `backlog` (`datagram`: binds a datagram socket there).
// ":PORT" prefers the IPv6 wildcard with IPV6_V6ONLY off (IPv4 and IPv6 alike). With `copies`
// above 1, a TCP or UDP address the OS lets sockets share (share_listening_port()) is opened
// `copies` times on the same address and port (all `shared`), anything else once. Throws
// UsageError for text that is not an address or a host that does not resolve, and as
// throw_open_failure() (usage_error.h) when the kernel refuses, e.g. a port in use or a path in
// a directory that does not exist.
std::vector<Listener> open_listener(std::string_view text, int backlog, bool datagram,
                                    std::size_t copies = 1);

}  // namespace seltool::cli
