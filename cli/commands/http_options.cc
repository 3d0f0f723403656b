#include "cli/commands/http_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>

#include "cli/base/usage_error.h"
#include "cli/targets/targets.h"

namespace seltool::cli {
namespace {

// Whether `url` (an http:// or https:// target's) is https://.
bool is_https(std::string_view url) {
  constexpr std::string_view kScheme = "https:";
  return url.size() >= kScheme.size() &&
         std::equal(kScheme.begin(), kScheme.end(), url.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

// The option names of `words` given, of those that apply to every HTTP target and of those that
// apply to https:// only.
struct GivenOptions {
  std::vector<std::string> http;
  std::vector<std::string> tls;
};

GivenOptions given(const HttpOptionWords& words) {
  GivenOptions names;
  if (words.statuses) names.http.push_back("--http-status");
  if (words.body_regex) names.http.push_back("--expect-body-regex");
  if (!words.expected_headers.empty()) names.http.push_back("--expect-header");
  if (!words.request_headers.empty()) names.http.push_back("--request-header");
  if (words.unix_socket) names.http.push_back("--unix-socket");
  if (words.cacert) names.tls.push_back("--cacert");
  if (words.cert) names.tls.push_back("--cert");
  if (words.key) names.tls.push_back("--key");
  if (words.insecure) names.tls.push_back("--insecure");
  return names;
}

std::string non_empty(const std::optional<std::string>& word, const char* option,
                      const char* what) {
  if (!word) return "";
  if (word->empty()) {
    throw UsageError(std::string("invalid ") + option + " '': expected " + what);
  }
  return *word;
}

}  // namespace

void add_http_options(CLI::App& command, HttpOptionWords& words) {
  command
      .add_option("--http-status,--expect-status-code", words.statuses,
                  "HTTP statuses that make an http[s]:// target ready, e.g. 200-299,404 "
                  "(default 200-399; redirects are not followed)")
      ->type_name("LIST");
  command
      .add_option("--expect-body-regex", words.body_regex,
                  "an HTTP check passes only when its body (the first 1 MiB) matches RE, a POSIX "
                  "extended regular expression (egrep's, not ECMAScript; no back-references)")
      ->type_name("RE");
  command
      .add_option("--expect-header", words.expected_headers,
                  "'NAME: RE': an HTTP check passes only when the answer has header NAME with a "
                  "value matching RE (POSIX extended); repeatable, each must hold")
      ->type_name("HEADER")
      ->allow_extra_args(false);
  command
      .add_option("--request-header", words.request_headers,
                  "'NAME: VALUE': send this header with each HTTP check; repeatable ('NAME:' "
                  "removes one curl sends, as curl's -H)")
      ->type_name("HEADER")
      ->allow_extra_args(false);
  command
      .add_option("--cacert", words.cacert,
                  "verify https:// servers with the CA certificates in FILE (PEM), as curl's "
                  "--cacert")
      ->type_name("FILE");
  command.add_flag("-k,--insecure", words.insecure,
                   "do not verify https:// servers' certificates (a warning line on stderr)");
  command.add_option("--cert", words.cert, "client certificate (PEM) for https:// servers")
      ->type_name("FILE");
  command
      .add_option("--key", words.key,
                  "private key (PEM) of --cert, when it is not in the --cert file")
      ->type_name("FILE");
  command
      .add_option("--unix-socket", words.unix_socket,
                  "connect HTTP checks to the unix socket PATH instead of the URL's host and "
                  "port (the Docker socket: --unix-socket /var/run/docker.sock "
                  "http://localhost/_ping)")
      ->type_name("PATH");
}

HttpOptions http_options(const HttpOptionWords& words, const std::vector<std::string>& targets) {
  const GivenOptions names = given(words);
  if (!names.http.empty() || !names.tls.empty()) {
    bool http = false;
    bool https = false;
    for (const std::string& text : targets) {
      const TargetSpec spec = parse_target(text);
      if (spec.kind != TargetKind::kHttp) continue;
      http = true;
      https = https || is_https(spec.url);
    }
    if (!http) {
      const std::string& option = names.http.empty() ? names.tls.front() : names.http.front();
      throw UsageError(option + " applies to http:// and https:// targets, and none is given");
    }
    if (!https && !names.tls.empty()) {
      throw UsageError(names.tls.front() + " applies to https:// targets, and none is given");
    }
  }
  if (words.key && !words.cert) {
    throw UsageError("--key needs --cert: it is the private key of a client certificate");
  }
  HttpOptions http;
  if (words.statuses) http.statuses = HttpStatuses::parse(*words.statuses);
  http.body_regex = words.body_regex;
  for (const std::string& word : words.expected_headers)
    http.expected_headers.push_back(parse_http_header(word, "--expect-header"));
  for (const std::string& word : words.request_headers)
    http.request_headers.push_back(parse_http_header(word, "--request-header"));
  http.cacert = non_empty(words.cacert, "--cacert", "a file of CA certificates");
  http.cert = non_empty(words.cert, "--cert", "a certificate file");
  http.key = non_empty(words.key, "--key", "a key file");
  http.insecure = words.insecure;
  http.unix_socket = non_empty(words.unix_socket, "--unix-socket", "the path of a socket");
  return http;
}

}  // namespace seltool::cli
