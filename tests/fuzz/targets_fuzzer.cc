// TARGET arguments of watch and wait (cli/targets/targets.h parse_target) and -e lists
// (parse_events): only UsageError; the spec keeps the text exactly, except a URL's password,
// which it never shows; the fields of each kind are consistent (a descriptor number for
// descriptors, a port from 0 to 65535 for TCP and never 0 to connect, a path for Unix sockets
// and files, a URL for http/https, a host and a port from 1 to 65535 for postgres:// and
// redis://, and a number as redis://'s database); parsing is deterministic. Kept to invariants that
// survive changes to the grammar (kinds added later, such as pid:, get only the general ones).
#include <cctype>
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
         a.path == b.path && a.url == b.url && a.pid == b.pid && a.service.user == b.service.user &&
         a.service.password == b.service.password &&
         a.service.endpoint.host == b.service.endpoint.host &&
         a.service.endpoint.port == b.service.endpoint.port &&
         a.service.database == b.service.database;
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
  // A URL goes to its library with the scheme in lower case (HTTP:// as http://).
  std::string url(text);
  const std::size_t scheme_end = url.find("://");
  for (std::size_t i = 0; scheme_end != std::string::npos && i < scheme_end; ++i) {
    url[i] = char(std::tolower(static_cast<unsigned char>(url[i])));
  }
  if (spec.text != text) {  // only a password hidden, in a URL kept as it was given
    check(spec.url == url && spec.text.find("***") != std::string::npos,
          "the spec's text differs from the input, not by a hidden password", text);
  }
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
  } else if (kind == TargetKind::kPostgres || kind == TargetKind::kRedis) {
    check(spec.url == url, "database target whose URL is not the input", text);
    check(!spec.service.endpoint.host.empty(), "database target without a host", text);
    check(is_port(spec.service.endpoint.port) && spec.service.endpoint.port != "0",
          "database target without a port from 1 to 65535", text);
    check(kind == TargetKind::kPostgres || spec.service.database.empty() ||
              spec.service.database.find_first_not_of("0123456789") == std::string::npos,
          "redis target whose database is not a number", text);
    check(!spec.service.password || spec.text.find(":***@") != std::string::npos,
          "a URL's password not hidden in the target's text", text);
  }
  const bool socket_or_path = kind == TargetKind::kTcpConnect || kind == TargetKind::kTcpListen ||
                              kind == TargetKind::kUnixConnect || kind == TargetKind::kUnixListen ||
                              kind == TargetKind::kPath || spec.checked();
  check(!socket_or_path || spec.fd == -1, "a descriptor number on a socket or path target", text);
  TargetSpec again;
  check(parses([&] { again = seltool::cli::parse_target(text); }, text) && same(spec, again),
        "parsing twice gave different results", text);
  return 0;
}
