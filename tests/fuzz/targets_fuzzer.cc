// TARGET arguments of watch and wait (cli/targets/targets.h parse_target) and -e lists
// (parse_events): only UsageError; the spec keeps the text exactly; the fields of each kind
// are consistent (a descriptor number for descriptors, a port from 0 to 65535 for TCP and
// never 0 to connect, a path for Unix sockets and files, a URL for http/https); parsing is
// deterministic. Kept to invariants that survive changes to the grammar (kinds added later,
// such as pid:, get only the general ones).
#include <climits>
#include <cstdint>
#include <string>

#include "cli/targets/targets.h"
#include "tests/fuzz/invariants.h"

namespace {

using seltool::cli::TargetKind;
using seltool::cli::TargetSpec;

bool is_port(const std::string& port) {
  return !port.empty() && port.size() <= 5 &&
         port.find_first_not_of("0123456789") == std::string::npos && std::stoul(port) <= 65535;
}

bool same(const TargetSpec& a, const TargetSpec& b) {
  return a.text == b.text && a.kind == b.kind && a.fd == b.fd &&
         a.endpoint.host == b.endpoint.host && a.endpoint.port == b.endpoint.port &&
         a.path == b.path && a.url == b.url && a.pid == b.pid;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace seltool::fuzz;
  const std::string_view text = as_text(data, size);

  seltool::Events events = 0;
  if (parses([&] { events = seltool::cli::parse_events(text); }, text)) {
    check((events & ~(seltool::EVENT_READ | seltool::EVENT_WRITE)) == 0,
          "parse_events gave bits other than read and write", text);
    check(events != 0 || text.empty(), "parse_events gave nothing for a non-empty list", text);
  }

  TargetSpec spec;
  if (!parses([&] { spec = seltool::cli::parse_target(text); }, text)) return 0;
  check(spec.text == text, "the spec's text differs from the input", text);
  // Kinds added later are only checked by the general invariants (no switch over all kinds).
  const TargetKind kind = spec.kind;
  if (kind == TargetKind::kDescriptor) {
    check(spec.fd >= 0 && spec.fd <= INT_MAX, "descriptor target without a descriptor", text);
  } else if (kind == TargetKind::kTcpConnect) {
    check(is_port(spec.endpoint.port) && spec.endpoint.port != "0",
          "connect target without a port from 1 to 65535", text);
  } else if (kind == TargetKind::kTcpListen) {
    check(is_port(spec.endpoint.port), "listen target without a port from 0 to 65535", text);
  } else if (kind == TargetKind::kUnixConnect || kind == TargetKind::kUnixListen ||
             kind == TargetKind::kPath) {
    check(!spec.path.empty(), "path target without a path", text);
  } else if (kind == TargetKind::kHttp) {
    check(!spec.url.empty(), "http target without a URL", text);
  }
  const bool socket_or_path = kind == TargetKind::kTcpConnect || kind == TargetKind::kTcpListen ||
                              kind == TargetKind::kUnixConnect || kind == TargetKind::kUnixListen ||
                              kind == TargetKind::kPath || kind == TargetKind::kHttp;
  check(!socket_or_path || spec.fd == -1, "a descriptor number on a socket or path target", text);
  TargetSpec again;
  check(parses([&] { again = seltool::cli::parse_target(text); }, text) && same(spec, again),
        "parsing twice gave different results", text);
  return 0;
}
