// Builds without the client libraries (Windows: Debian has no libcurl, libpq or hiredis for
// mingw-w64).
#include "cli/base/usage_error.h"
#include "cli/targets/protocol_checks.h"

namespace seltool::cli {
namespace {

[[noreturn]] void unsupported(const std::string& target, const std::string& kind,
                              const std::string& library) {
  throw UsageError("target " + quote_input(target) + ": " + kind +
                   " targets are not supported in this build of seltool (it has no " + library +
                   "); wait for the port instead (tcp://HOST:PORT)");
}

}  // namespace

std::unique_ptr<ProtocolChecks> make_http_checks(Selector&, CheckOptions, ProtocolChecks::Finished,
                                                 const std::string& target) {
  unsupported(target, "http:// and https://", "libcurl");
}

std::unique_ptr<ProtocolChecks> make_postgres_checks(Selector&, CheckOptions,
                                                     ProtocolChecks::Finished,
                                                     const std::string& target) {
  unsupported(target, "postgres://", "libpq");
}

std::unique_ptr<ProtocolChecks> make_redis_checks(Selector&, CheckOptions, ProtocolChecks::Finished,
                                                  const std::string& target) {
  unsupported(target, "redis://", "hiredis");
}

}  // namespace seltool::cli
