// The options of `watch` and `wait` that only HTTP checks use (cli/targets/http_options.h):
// wait4x's and dockerize's expectations, curl's TLS and unix-socket options.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/targets/http_options.h"

namespace CLI {
class App;
}  // namespace CLI

namespace seltool::cli {

// As given on the command line.
struct HttpOptionWords {
  std::optional<std::string> statuses;  // --http-status, --expect-status-code
  std::optional<std::string> body_regex;
  std::vector<std::string> expected_headers;
  std::vector<std::string> request_headers;
  std::optional<std::string> cacert;
  std::optional<std::string> cert;
  std::optional<std::string> key;
  bool insecure = false;
  std::optional<std::string> unix_socket;
};

void add_http_options(CLI::App& command, HttpOptionWords& words);

// The HttpOptions of `words`. Throws UsageError when one is malformed, when an HTTP option is
// given and none of `targets` is http:// or https://, or a TLS option and none is https://.
HttpOptions http_options(const HttpOptionWords& words, const std::vector<std::string>& targets);

}  // namespace seltool::cli
