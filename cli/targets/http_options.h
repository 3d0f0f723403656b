// What the HTTP checks of a run send and expect besides the URL (docs/cli.md, "HTTP targets"):
// wait4x's and dockerize's checks (statuses, a body or header that must match, headers to
// send) and curl's TLS and unix-socket options. One set for every http:// and https:// target
// of the run.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/targets/http_status.h"

namespace seltool::cli {

struct HttpHeader {
  std::string name;   // as given; HTTP compares names without regard to case
  std::string value;  // without the blanks around it
};

// Parses "NAME: VALUE", as given to `option` (for the message): NAME an HTTP token (letters,
// digits, !#$%&'*+-.^_`|~), VALUE without line breaks. Throws UsageError otherwise.
HttpHeader parse_http_header(std::string_view text, std::string_view option);

struct HttpOptions {
  HttpStatuses statuses;                     // --http-status, --expect-status-code
  std::optional<std::string> body_regex;     // --expect-body-regex (POSIX extended)
  std::vector<HttpHeader> expected_headers;  // --expect-header: each value a POSIX extended RE
  std::vector<HttpHeader> request_headers;   // --request-header
  std::string cacert;                        // --cacert FILE; "": the system's CA store
  std::string cert;                          // --cert FILE; "": no client certificate
  std::string key;                           // --key FILE; "": in the --cert file
  bool insecure = false;                     // -k: certificates are not verified
  std::string unix_socket;  // --unix-socket PATH; "": connect to the URL's host and port
};

}  // namespace seltool::cli
