// Builds without libcurl (Windows: Debian has no libcurl for mingw-w64).
#include "cli/base/usage_error.h"
#include "cli/targets/http_checks.h"

namespace seltool::cli {

std::unique_ptr<HttpChecks> make_http_checks(Selector&, HttpCheckOptions, HttpChecks::Finished,
                                             const std::string& target) {
  throw UsageError("target " + quote_input(target) +
                   ": http:// and https:// targets are not supported in this build of seltool "
                   "(it has no libcurl); wait for the port instead (tcp://HOST:PORT)");
}

}  // namespace seltool::cli
