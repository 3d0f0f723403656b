// --listen addresses (cli/echo/listen_address.h), parsed without opening anything: only
// UsageError; unix:PATH and unix://PATH keep PATH as given; a TCP endpoint written back in the
// canonical form parses to the same endpoint, and the port is a number from 0 to 65535.
#include <cstdint>
#include <string>

#include "cli/echo/listen_address.h"
#include "tests/fuzz/invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  using seltool::cli::parse_listen_address;
  const std::string_view text = as_text(data, size);
  seltool::cli::ListenAddress address;
  if (!parses([&] { address = parse_listen_address(text); }, text)) return 0;

  if (text.substr(0, 5) == "unix:") {  // unix://PATH is PATH, as in targets
    const std::size_t prefix = text.substr(0, 7) == "unix://" ? 7 : 5;
    check(address.unix_path == text.substr(prefix), "unix path differs from the text", text);
    check(!address.unix_path.empty(), "empty unix path accepted", text);
    return 0;
  }
  check(address.unix_path.empty(), "a TCP address with a unix path", text);
  const std::string& port = address.endpoint.port;
  check(!port.empty() && port.size() <= 5 &&
            port.find_first_not_of("0123456789") == std::string::npos && std::stoul(port) <= 65535,
        "port is not a number from 0 to 65535", text);
  const std::string& host = address.endpoint.host;
  const std::string again =
      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
  seltool::cli::ListenAddress reparsed;
  check(parses([&] { reparsed = parse_listen_address(again); }, again),
        "the canonical form does not parse: " + escaped(again), text);
  check(reparsed.endpoint.host == host && reparsed.endpoint.port == port &&
            reparsed.unix_path.empty(),
        "the canonical form parses differently", text);
  return 0;
}
