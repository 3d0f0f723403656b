#include "cli/listen_address.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>

#include "cli/created_files.h"
#include "cli/socket_address.h"
#include "cli/socket_ops.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

UniqueFd listen_on(const SocketAddress& address, int backlog, bool dual_stack) {
  UniqueFd fd(open_stream_socket(address.family()));
  if (fd && address.family() != AF_UNIX) {
    set_socket_option(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1);
    if (dual_stack) set_socket_option(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, 0);
  }
  const int errnum = fd ? bind_and_listen(fd.get(), address, backlog) : errno;
  if (errnum != 0) {
    throw listen_failed("cannot listen on " + quote_input(format_address(address)) + ": " +
                        strerror(errnum));
  }
  return fd;
}

}  // namespace

Listener::~Listener() {
  if (!unix_path.empty()) remove_created_file(unix_path);
}

Listener open_listener(std::string_view text, int backlog) {
  const std::string argument = "--listen " + std::string(text);
  if (text.substr(0, 5) == "unix:") {
    const std::string path(text.substr(5));
    UniqueFd fd = listen_on(unix_socket_address(path, argument), backlog, false);
    note_created_file(path);
    return {std::move(fd), path};
  }
  const HostPort endpoint = split_host_port(text, argument);
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
  std::string first_error;
  for (const SocketAddress& address : resolved.addresses) {
    try {
      return {listen_on(address, backlog, every_address && address.family() == AF_INET6), ""};
    } catch (const listen_failed& error) {
      if (first_error.empty()) first_error = error.what();
    }
  }
  throw listen_failed(first_error);
}

}  // namespace seltool::cli
