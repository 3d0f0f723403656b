#include "cli/echo/listen_address.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "cli/base/error_info.h"
#include "cli/base/usage_error.h"
#include "cli/os/created_files.h"
#include "cli/os/socket_address.h"
#include "cli/os/socket_ops.h"

namespace seltool::cli {
namespace {

// A socket bound to `address`, listening unless `datagram`, or empty with `errnum` set.
// `shared`: asked to share the port with later sockets; false on return when the OS cannot.
UniqueFd listen_on(const SocketAddress& address, int backlog, bool datagram, bool dual_stack,
                   bool& shared, int& errnum) {
  UniqueFd fd(datagram ? open_datagram_socket(address.family())
                       : open_stream_socket(address.family()));
  if (fd) {
    if (!datagram) reuse_listening_address(fd.get());
    if (dual_stack) set_socket_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0);
    if (shared) shared = share_listening_port(fd.get());
  }
  errnum = !fd        ? errno
           : datagram ? bind_socket(fd.get(), address)
                      : bind_and_listen(fd.get(), address, backlog);
  if (errnum != 0) fd.reset();
  return fd;
}

[[noreturn]] void cannot_listen(const SocketAddress& address, int errnum) {
  throw_open_failure("cannot listen on " + quote_input(format_address(address)), errnum);
}

}  // namespace

Listener::~Listener() {
  if (!unix_path.empty()) remove_created_file(unix_path);
}

ListenAddress parse_listen_address(std::string_view text) {
  const std::string argument = "--listen " + std::string(text);
  ListenAddress address;
  if (const auto path = unix_path_in(text)) {
    address.unix_path = std::string(*path);
    unix_socket_address(address.unix_path, argument);  // validates the length
  } else {
    address.endpoint = split_host_port(text, argument);
  }
  return address;
}

std::vector<Listener> open_listener(std::string_view text, int backlog, bool datagram,
                                    std::size_t copies) {
  const std::string argument = "--listen " + std::string(text);
  const ListenAddress parsed = parse_listen_address(text);
  std::vector<Listener> listeners;
  if (!parsed.unix_path.empty()) {
    const std::string& path = parsed.unix_path;
    const SocketAddress address = unix_socket_address(path, argument);
    UniqueFd fd(datagram ? open_datagram_socket(AF_UNIX) : open_stream_socket(AF_UNIX));
    const int errnum = !fd        ? errno
                       : datagram ? bind_unix_socket(fd.get(), path)
                                  : listen_unix_socket(fd.get(), path, backlog);
    if (errnum != 0) cannot_listen(address, errnum);
    listeners.emplace_back(std::move(fd), path, datagram);
    return listeners;
  }
  const HostPort& endpoint = parsed.endpoint;
  Resolution resolved = resolve_tcp(endpoint, /*passive=*/true);
  if (resolved.addresses.empty()) {
    throw UsageError("invalid address " + quote_input(argument) + ": " + resolved.error);
  }
  // Every address: the IPv6 wildcard serves IPv4 too, so try it first.
  const bool every_address = endpoint.host.empty();
  if (every_address) {
    std::stable_partition(resolved.addresses.begin(), resolved.addresses.end(),
                          [](const SocketAddress& a) { return a.family() == AF_INET6; });
  }
  int first_error = 0;
  for (const SocketAddress& address : resolved.addresses) {
    const bool dual_stack = every_address && address.family() == AF_INET6;
    bool shared = copies > 1;
    int errnum = 0;
    UniqueFd fd = listen_on(address, backlog, datagram, dual_stack, shared, errnum);
    if (!fd) {
      if (!first_error) first_error = errnum;
      continue;
    }
    // The copies bind the port the first one got (port 0 picks one).
    const std::optional<SocketAddress> bound = local_socket_address(fd.get());
    listeners.emplace_back(std::move(fd), "", datagram);
    if (!shared || !bound) return listeners;
    listeners.back().shared = true;
    while (listeners.size() < copies) {
      bool also_shared = true;
      UniqueFd copy = listen_on(*bound, backlog, datagram, dual_stack, also_shared, errnum);
      if (!copy) cannot_listen(*bound, errnum);
      listeners.emplace_back(std::move(copy), "", datagram);
      listeners.back().shared = true;
    }
    return listeners;
  }
  cannot_listen(resolved.addresses.front(), first_error);
}

}  // namespace seltool::cli
