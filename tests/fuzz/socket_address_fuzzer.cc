// HOST:PORT splitting and Unix socket paths (cli/os/socket_address.h): only UsageError; a port is
// a number from 0 to 65535; a host holds ':' only when it was bracketed; the canonical form
// ([host] when it holds ':') splits to the same result; a Unix path is accepted exactly when
// it fits sockaddr_un and comes back from format_address() as "unix:PATH" when it has no NUL.
#include <sys/un.h>

#include <cstdint>
#include <string>

#include "cli/os/socket_address.h"
#include "tests/fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  using seltool::cli::split_host_port;
  const std::string_view text = as_text(data, size);

  seltool::cli::HostPort split;
  if (parses([&] { split = split_host_port(text, text); }, text)) {
    const std::string& port = split.port;
    check(!port.empty() && port.size() <= 5 &&
              port.find_first_not_of("0123456789") == std::string::npos &&
              std::stoul(port) <= 65535,
          "port is not a number from 0 to 65535", text);
    const bool bracketed = !text.empty() && text.front() == '[';
    check(bracketed || split.host.find(':') == std::string::npos, "unbracketed host with ':'",
          text);
    check(!bracketed || !split.host.empty(), "empty bracketed host", text);
    const std::string again = (bracketed ? "[" + split.host + "]" : split.host) + ":" + port;
    seltool::cli::HostPort reparsed;
    check(parses([&] { reparsed = split_host_port(again, again); }, again),
          "the canonical form does not split: " + escaped(again), text);
    check(reparsed.host == split.host && reparsed.port == split.port,
          "the canonical form splits differently", text);
  }

  seltool::cli::SocketAddress address;
  const bool fits = !text.empty() && text.size() < sizeof(sockaddr_un{}.sun_path);
  const bool accepted =
      parses([&] { address = seltool::cli::unix_socket_address(text, text); }, text);
  check(accepted == fits,
        accepted ? "accepted a path that does not fit" : "refused a path that fits", text);
  if (accepted && text.find('\0') == std::string_view::npos) {
    check(seltool::cli::format_address(address) == "unix:" + std::string(text),
          "format_address() does not give the path back", text);
  }
  return 0;
}
