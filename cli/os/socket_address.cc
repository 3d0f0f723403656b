#include "cli/os/socket_address.h"

#include <cstring>

#include "cli/base/usage_error.h"

namespace seltool::cli {
namespace {

bool is_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + unsigned(c - '0');
  }
  return value <= 65535;
}

std::string gai_error_name(int status) {
  switch (status) {
    case EAI_AGAIN:
      return "EAI_AGAIN";
    case EAI_FAIL:
      return "EAI_FAIL";
    case EAI_FAMILY:
      return "EAI_FAMILY";
    case EAI_MEMORY:
      return "EAI_MEMORY";
    case EAI_NONAME:
      return "EAI_NONAME";
    case EAI_SERVICE:
      return "EAI_SERVICE";
#ifdef EAI_SYSTEM  // not on Windows
    case EAI_SYSTEM:
      return "EAI_SYSTEM";
#endif
    default:
      return "EAI_" + std::to_string(status);
  }
}

template <typename Get>
std::optional<SocketAddress> address_of(int fd, Get get) {
  SocketAddress address;
  address.length = sizeof address.storage;
  if (get(fd, reinterpret_cast<sockaddr*>(&address.storage), &address.length) == -1) {
    return std::nullopt;
  }
  return address;
}

template <typename Get>
std::string named_address(int fd, Get get) {
  const std::optional<SocketAddress> address = address_of(fd, get);
  return address ? format_address(*address) : std::string();
}

}  // namespace

std::optional<std::string_view> unix_path_in(std::string_view text) {
  for (const std::string_view scheme : {"unix://", "unix:"}) {
    if (text.substr(0, scheme.size()) == scheme) return text.substr(scheme.size());
  }
  return std::nullopt;
}

HostPort split_host_port(std::string_view text, std::string_view argument) {
  const auto bad = [&](const std::string& why) {
    return UsageError("invalid address " + quote_input(argument) + ": " + why);
  };
  HostPort result;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos) throw bad("missing ']' after the IPv6 address");
    result.host = std::string(text.substr(1, close - 1));
    if (text.substr(close + 1, 1) != ":") throw bad("expected ':PORT' after ']'");
    port = text.substr(close + 2);
    if (result.host.empty()) throw bad("empty IPv6 address in brackets");
  } else {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) throw bad("expected HOST:PORT");
    if (text.find(':', colon + 1) != std::string_view::npos) {
      throw bad("IPv6 addresses need brackets, e.g. [::1]:8080");
    }
    result.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (result.host.find_first_of("[]") != std::string::npos) {
    throw bad("'[' and ']' may only enclose an IPv6 address, e.g. [::1]:8080");
  }
  if (!is_port(port)) throw bad("PORT must be a number from 0 to 65535");
  result.port = std::string(port);
  return result;
}

Resolution resolve_tcp(const HostPort& endpoint, bool passive) {
  addrinfo hints{};
  hints.ai_family = endpoint.family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  const char* host = endpoint.host.empty() ? nullptr : endpoint.host.c_str();
  Resolution result;
  const int status = ::getaddrinfo(host, endpoint.port.c_str(), &hints, &found);
  if (status != 0) {
    result.error = "cannot resolve '" + endpoint.host + "': " + ::gai_strerror(status);
    result.error_code = gai_error_name(status);
    return result;
  }
  for (const addrinfo* at = found; at; at = at->ai_next) {
    SocketAddress address;
    std::memcpy(&address.storage, at->ai_addr, at->ai_addrlen);
    address.length = at->ai_addrlen;
    result.addresses.push_back(address);
  }
  ::freeaddrinfo(found);
  return result;
}

std::string format_address(const SocketAddress& address) {
  char host[INET6_ADDRSTRLEN] = "";
  switch (address.family()) {
    case AF_INET: {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address.storage);
      ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
      return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
    }
    case AF_INET6: {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
      ::inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
      return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
    }
    case AF_UNIX: {
      const std::string path = unix_socket_path(address);
      return path.empty() ? "" : "unix:" + path;  // "" for an unnamed socket
    }
    default:
      return {};
  }
}

std::string local_address(int fd) { return named_address(fd, ::getsockname); }
std::optional<SocketAddress> local_socket_address(int fd) { return address_of(fd, ::getsockname); }
std::string peer_address(int fd) { return named_address(fd, ::getpeername); }

}  // namespace seltool::cli
