// HTTP checks through libcurl's multi-socket interface: curl says which sockets to watch
// (socket callback) and when to wake it (timer callback); seltool's selector does the waiting
// and hands readiness back with curl_multi_socket_action(). What a check sends and expects
// besides the URL is cli/targets/http_options.h.
//
// libcurl is loaded when the first HTTP target needs it, not linked: linked, it brings some 30
// shared libraries (TLS, HTTP/2, LDAP, SSH, IDN...) into every run of seltool, which made the
// start-up of a tool meant for shell loops several times slower (cli/os/loaded_library.h).
#define CURL_DISABLE_TYPECHECK  // its macros would rename our function pointers
#include <curl/curl.h>
#include <fcntl.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <map>
#include <new>
#include <stdexcept>
#include <vector>

#include "cli/base/error_info.h"
#include "cli/base/usage_error.h"
#include "cli/os/loaded_library.h"
#include "cli/targets/extended_regex.h"
#include "cli/targets/protocol_checks.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// The libcurl functions seltool calls.
#define SELTOOL_CURL_FUNCTIONS(X) \
  X(curl_easy_cleanup)            \
  X(curl_easy_getinfo)            \
  X(curl_easy_init)               \
  X(curl_easy_setopt)             \
  X(curl_easy_strerror)           \
  X(curl_global_cleanup)          \
  X(curl_global_init)             \
  X(curl_multi_add_handle)        \
  X(curl_multi_cleanup)           \
  X(curl_multi_info_read)         \
  X(curl_multi_init)              \
  X(curl_multi_remove_handle)     \
  X(curl_multi_setopt)            \
  X(curl_multi_socket_action)     \
  X(curl_slist_append)            \
  X(curl_slist_free_all)          \
  X(curl_url)                     \
  X(curl_url_cleanup)             \
  X(curl_url_set)                 \
  X(curl_url_strerror)

struct CurlLibrary {
  SELTOOL_CURL_FUNCTIONS(SELTOOL_FUNCTION_POINTER)
};

// Loaded once; a failed load is tried again next time.
const CurlLibrary& curl() {
  static const CurlLibrary loaded = [] {
    const LoadedLibrary library(
        {"libcurl.so.4", "libcurl.4.dylib", "libcurl.so"},
        "http:// and https:// targets need libcurl, which is not installed; install libcurl4 "
        "(Debian) or wait for the port instead");
    CurlLibrary table;
    SELTOOL_CURL_FUNCTIONS(SELTOOL_RESOLVE_FUNCTION)
    return table;
  }();
  return loaded;
}

// The CURLcode names a check can end with; others get "CURLE_<number>".
std::string curl_code_name(CURLcode code) {
  switch (code) {
#define SELTOOL_CURLE(name) \
  case name:                \
    return #name;
    SELTOOL_CURLE(CURLE_UNSUPPORTED_PROTOCOL)
    SELTOOL_CURLE(CURLE_URL_MALFORMAT)
    SELTOOL_CURLE(CURLE_COULDNT_RESOLVE_PROXY)
    SELTOOL_CURLE(CURLE_COULDNT_RESOLVE_HOST)
    SELTOOL_CURLE(CURLE_COULDNT_CONNECT)
    SELTOOL_CURLE(CURLE_WEIRD_SERVER_REPLY)
    SELTOOL_CURLE(CURLE_HTTP2)
    SELTOOL_CURLE(CURLE_PARTIAL_FILE)
    SELTOOL_CURLE(CURLE_WRITE_ERROR)
    SELTOOL_CURLE(CURLE_READ_ERROR)
    SELTOOL_CURLE(CURLE_OUT_OF_MEMORY)
    SELTOOL_CURLE(CURLE_OPERATION_TIMEDOUT)
    SELTOOL_CURLE(CURLE_RANGE_ERROR)
    SELTOOL_CURLE(CURLE_SSL_CONNECT_ERROR)
    SELTOOL_CURLE(CURLE_TOO_MANY_REDIRECTS)
    SELTOOL_CURLE(CURLE_GOT_NOTHING)
    SELTOOL_CURLE(CURLE_SSL_ENGINE_NOTFOUND)
    SELTOOL_CURLE(CURLE_SEND_ERROR)
    SELTOOL_CURLE(CURLE_RECV_ERROR)
    SELTOOL_CURLE(CURLE_SSL_CERTPROBLEM)
    SELTOOL_CURLE(CURLE_SSL_CIPHER)
    SELTOOL_CURLE(CURLE_PEER_FAILED_VERIFICATION)
    SELTOOL_CURLE(CURLE_BAD_CONTENT_ENCODING)
    SELTOOL_CURLE(CURLE_SSL_CACERT_BADFILE)
    SELTOOL_CURLE(CURLE_SSL_SHUTDOWN_FAILED)
    SELTOOL_CURLE(CURLE_SSL_CRL_BADFILE)
    SELTOOL_CURLE(CURLE_SSL_ISSUER_ERROR)
    SELTOOL_CURLE(CURLE_HTTP2_STREAM)
    SELTOOL_CURLE(CURLE_HTTP3)
    SELTOOL_CURLE(CURLE_QUIC_CONNECT_ERROR)
    SELTOOL_CURLE(CURLE_SSL_CLIENTCERT)
#undef SELTOOL_CURLE
    default:
      return "CURLE_" + std::to_string(static_cast<int>(code));
  }
}

struct EasyCleanup {
  void operator()(CURL* easy) const { curl().curl_easy_cleanup(easy); }
};
using Easy = std::unique_ptr<CURL, EasyCleanup>;

struct SlistFree {
  void operator()(curl_slist* list) const { curl().curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

// The body bytes --expect-body-regex examines: its first MiB. A transfer ends once it has them,
// so that an endless or huge body costs no more (the search is linear: extended_regex.h).
constexpr std::size_t kBodyBytes = std::size_t{1} << 20;
// How much of a body that does not match its message quotes.
constexpr std::size_t kQuotedBodyBytes = 64;

// A --expect-header: a header's name and the pattern one of its values must match.
struct ExpectedHeader {
  HttpHeader given;  // as given, for messages
  ExtendedRegex value;
};

// Throws UsageError naming `option` when `path` cannot be opened for reading: a file given on
// the command line is checked before the first attempt, so that a mistyped name fails at once
// (curl reads it again at each attempt).
void check_readable(const std::string& path, const char* option) {
  if (path.empty()) return;
  const UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!file) {
    throw_open_failure("cannot read " + std::string(option) + " " + quote_input(path), errno);
  }
}

// The --expect-body-regex and --expect-header patterns, compiled. Throws UsageError.
std::optional<ExtendedRegex> body_pattern(const HttpOptions& http) {
  if (!http.body_regex) return std::nullopt;
  return ExtendedRegex(*http.body_regex, "--expect-body-regex");
}
std::vector<ExpectedHeader> header_patterns(const HttpOptions& http) {
  std::vector<ExpectedHeader> patterns;
  for (const HttpHeader& header : http.expected_headers) {
    patterns.push_back(ExpectedHeader{
        header, ExtendedRegex(header.value, "--expect-header " +
                                                quote_input(header.name + ": " + header.value) +
                                                " pattern")});
  }
  return patterns;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

class CurlChecks final : public ProtocolChecks {
 public:
  CurlChecks(Selector& selector, CheckOptions options, Finished finished)
      : options_(std::move(options)),
        finished_(std::move(finished)),
        body_(body_pattern(options_.http)),
        headers_(header_patterns(options_.http)) {
    const HttpOptions& http = options_.http;
    check_readable(http.cacert, "--cacert");
    check_readable(http.cert, "--cert");
    check_readable(http.key, "--key");
    for (const HttpHeader& header : http.request_headers) {
      // "Name:" with no value removes a header curl sends itself, as curl's -H does.
      const std::string line = header.name + ": " + header.value;
      curl_slist* longer = curl().curl_slist_append(request_headers_.get(), line.c_str());
      if (!longer) throw std::bad_alloc();
      request_headers_.release();
      request_headers_.reset(longer);
    }
    sockets_.emplace(selector, *this);
    if (curl().curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::bad_alloc();
    multi_ = curl().curl_multi_init();
    if (!multi_) {
      curl().curl_global_cleanup();
      throw std::bad_alloc();
    }
    curl().curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlChecks::socket_callback);
    curl().curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl().curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlChecks::timer_callback);
    curl().curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  }

  ~CurlChecks() override {
    for (auto& [entry, transfer] : transfers_)
      curl().curl_multi_remove_handle(multi_, transfer->easy.get());
    transfers_.clear();
    sockets_.reset();
    closing_ = true;  // curl_multi_cleanup may still call back about sockets it closes
    curl().curl_multi_cleanup(multi_);
    request_headers_.reset();
    curl().curl_global_cleanup();
  }

  void validate(const TargetSpec& spec) const override {
    CURLU* url = curl().curl_url();
    if (!url) throw std::bad_alloc();
    const CURLUcode parsed = curl().curl_url_set(url, CURLUPART_URL, spec.url.c_str(), 0);
    curl().curl_url_cleanup(url);
    if (parsed != CURLUE_OK) {
      throw UsageError("invalid target '" + spec.text + "': " + curl().curl_url_strerror(parsed) +
                       " (expected http[s]://HOST[:PORT][/PATH])");
    }
  }

  void start(TargetEntry& entry) override {
    cancel(entry);
    entry.target->set_http_status(std::nullopt);
    auto transfer = std::make_unique<Transfer>();
    transfer->entry = &entry;
    transfer->easy.reset(curl().curl_easy_init());
    CURL* easy = transfer->easy.get();
    if (!easy) throw std::bad_alloc();
    curl().curl_easy_setopt(easy, CURLOPT_URL, entry.target->spec().url.c_str());
    curl().curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
    curl().curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer->error);
    curl().curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlChecks::on_body);
    curl().curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer.get());
    curl().curl_easy_setopt(easy, CURLOPT_USERAGENT, "seltool");
    curl().curl_easy_setopt(easy, CURLOPT_PROXY,
                            "");  // the server itself, whatever http_proxy says
    curl().curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);       // no SIGALRM around name resolution
    curl().curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);  // each attempt is a new connection,
    curl().curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);   // closed when it ends
    if (options_.connect_timeout) {
      const auto milliseconds =
          std::chrono::ceil<std::chrono::milliseconds>(*options_.connect_timeout).count();
      curl().curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(milliseconds));
    }
    set_http_options(easy, *transfer);
    if (curl().curl_multi_add_handle(multi_, easy) != CURLM_OK) throw std::bad_alloc();
    transfers_.emplace(&entry, std::move(transfer));
  }

  void cancel(TargetEntry& entry) override {
    const auto found = transfers_.find(&entry);
    if (found == transfers_.end()) return;
    curl().curl_multi_remove_handle(multi_, found->second->easy.get());  // may unwatch its socket
    transfers_.erase(found);
    rethrow_callback_error();
  }

  void on_socket_ready(int fd, Events ready, Conditions conditions) override {
    int mask = 0;
    if (ready & EVENT_READ) mask |= CURL_CSELECT_IN;
    if (ready & EVENT_WRITE) mask |= CURL_CSELECT_OUT;
    if (conditions & CONDITION_ERROR) mask |= CURL_CSELECT_ERR;
    act(fd, mask);
  }

  std::optional<Clock::time_point> next_timer() const override { return timer_; }

  void on_timer(Clock::time_point now) override {
    if (!timer_ || *timer_ > now) return;
    timer_.reset();  // curl sets the next one
    act(CURL_SOCKET_TIMEOUT, 0);
  }

 private:
  struct Transfer {
    TargetEntry* entry = nullptr;
    Easy easy;
    bool answered = false;  // the body began: status line and headers are complete
    bool wants_body = false;
    std::string body;                 // with --expect-body-regex: its first kBodyBytes bytes
    bool body_full = false;           // the transfer was ended at kBodyBytes
    std::vector<HttpHeader> headers;  // with --expect-header: those of the last response
    char error[CURL_ERROR_SIZE] = "";
  };

  // What curl_easy_setopt() sets from HttpOptions.
  void set_http_options(CURL* easy, Transfer& transfer) const {
    const HttpOptions& http = options_.http;
    if (request_headers_) curl().curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request_headers_.get());
    if (!headers_.empty()) {
      curl().curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &CurlChecks::on_header);
      curl().curl_easy_setopt(easy, CURLOPT_HEADERDATA, &transfer);
    }
    transfer.wants_body = body_.has_value();
    if (!http.unix_socket.empty())
      curl().curl_easy_setopt(easy, CURLOPT_UNIX_SOCKET_PATH, http.unix_socket.c_str());
    if (!http.cacert.empty()) curl().curl_easy_setopt(easy, CURLOPT_CAINFO, http.cacert.c_str());
    if (!http.cert.empty()) curl().curl_easy_setopt(easy, CURLOPT_SSLCERT, http.cert.c_str());
    if (!http.key.empty()) curl().curl_easy_setopt(easy, CURLOPT_SSLKEY, http.key.c_str());
    if (http.insecure) {
      curl().curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
      curl().curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

  // Without --expect-body-regex the body is not needed: its first bytes end the transfer
  // (CURLE_WRITE_ERROR), so that a large or endless body costs nothing. With it, its first
  // kBodyBytes do.
  static size_t on_body(char* data, size_t size, size_t count, void* state) {
    Transfer& transfer = *static_cast<Transfer*>(state);
    transfer.answered = true;
    if (!transfer.wants_body) return 0;
    const size_t bytes = size * count;
    const size_t room = kBodyBytes - transfer.body.size();
    transfer.body.append(data, std::min(bytes, room));
    if (bytes < room) return bytes;
    transfer.body_full = true;
    return 0;
  }

  // One header line (curl gives each, and the status line of each response: a 1xx, or the
  // final one, whose headers alone are kept).
  static size_t on_header(char* data, size_t size, size_t count, void* state) {
    Transfer& transfer = *static_cast<Transfer*>(state);
    const std::string_view line(data, size * count);
    if (line.substr(0, 5) == "HTTP/") {
      transfer.headers.clear();
      return line.size();
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return line.size();  // the blank line at the end
    std::string_view value = line.substr(colon + 1);
    const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    while (!value.empty() && blank(value.front())) value.remove_prefix(1);
    while (!value.empty() && blank(value.back())) value.remove_suffix(1);
    try {
      transfer.headers.push_back(
          HttpHeader{std::string(line.substr(0, colon)), std::string(value)});
    } catch (const std::bad_alloc&) {
      return 0;  // ends the transfer (CURLE_WRITE_ERROR); nothing may cross curl's frames
    }
    return line.size();
  }

  // Exceptions must not cross curl's C frames: kept here, rethrown once curl has returned.
  static int socket_callback(CURL*, curl_socket_t fd, int what, void* self, void*) {
    auto& checks = *static_cast<CurlChecks*>(self);
    if (checks.closing_) return 0;
    try {
      checks.watch(fd, what);
      return 0;
    } catch (...) {
      checks.callback_error_ = std::current_exception();
      return -1;
    }
  }

  static int timer_callback(CURLM*, long timeout_ms, void* self) {
    auto& checks = *static_cast<CurlChecks*>(self);
    if (timeout_ms < 0) {
      checks.timer_.reset();
    } else {
      checks.timer_ = Clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  void watch(curl_socket_t fd, int what) {
    Events events = 0;
    if (what == CURL_POLL_IN || what == CURL_POLL_INOUT) events |= EVENT_READ;
    if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT) events |= EVENT_WRITE;
    sockets_->watch(fd, events);  // CURL_POLL_REMOVE (0): before curl closes it
  }

  void rethrow_callback_error() {
    if (!callback_error_) return;
    std::exception_ptr error = std::move(callback_error_);
    callback_error_ = nullptr;
    std::rethrow_exception(error);
  }

  // Lets curl act on `fd` (CURL_SOCKET_TIMEOUT: its timer), then reports the checks it ended.
  void act(curl_socket_t fd, int mask) {
    int running = 0;
    curl().curl_multi_socket_action(multi_, fd, mask, &running);
    rethrow_callback_error();
    std::vector<std::pair<Transfer*, CURLcode>> ended;
    int left = 0;
    while (CURLMsg* message = curl().curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Transfer* transfer = nullptr;
      curl().curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &transfer);
      ended.emplace_back(transfer, message->data.result);
    }
    for (const auto& [transfer_ended, result] : ended) {
      // The report of an earlier one may have dropped (cancelled) this one. (A plain variable
      // for the lambda: C++17 does not let a lambda capture a structured binding; clang
      // refuses it.)
      Transfer* const transfer = transfer_ended;
      const bool current = std::any_of(transfers_.begin(), transfers_.end(), [&](const auto& item) {
        return item.second.get() == transfer;
      });
      if (current) end(*transfer, result);
    }
  }

  void end(Transfer& transfer, CURLcode result) {
    TargetEntry& entry = *transfer.entry;
    Target& target = *entry.target;
    CURL* easy = transfer.easy.get();
    long status = 0;
    curl().curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    // With --expect-body-regex, the answer is its whole body or its first kBodyBytes.
    const bool whole = transfer.wants_body ? transfer.body_full : transfer.answered;
    const bool answered = status > 0 && (result == CURLE_OK || whole);
    bool passed = false;
    if (answered) {
      target.set_http_status(status);
      std::optional<ErrorInfo> mismatch = what_did_not_match(transfer, status);
      passed = !mismatch;
      if (mismatch) target.fail(std::move(*mismatch));
    } else {
      target.fail(transfer_error(transfer, result));
    }
    cancel(entry);  // the transfer is over: its handle goes before the policy hears of it
    finished_(entry, passed);
  }

  // The first expectation of HttpOptions that the answer does not meet, or nullopt: the status,
  // then each --expect-header, then --expect-body-regex.
  std::optional<ErrorInfo> what_did_not_match(const Transfer& transfer, long status) const {
    const HttpOptions& http = options_.http;
    if (!http.statuses.accepts(status)) {
      return ErrorInfo{0, "HTTP_" + std::to_string(status),
                       "the server answered " + std::to_string(status) + ", not in --http-status " +
                           http.statuses.text()};
    }
    for (const ExpectedHeader& expected : headers_) {
      const HttpHeader* other = nullptr;  // the first value of that name, which did not match
      bool matched = false;
      for (const HttpHeader& header : transfer.headers) {
        if (!same_name(header.name, expected.given.name)) continue;
        matched = expected.value.found_in(header.value);
        if (matched) break;
        if (!other) other = &header;
      }
      if (matched) continue;
      const std::string option =
          "--expect-header " + quote_input(expected.given.name + ": " + expected.given.value);
      return ErrorInfo{0, "HTTP_HEADER_MISMATCH",
                       other ? "the header " + quote_input(other->name + ": " + other->value) +
                                   " does not match " + option
                             : "the answer has no " + expected.given.name + " header, which " +
                                   option + " expects"};
    }
    if (body_ && !body_->found_in(transfer.body)) {
      const std::string_view body = transfer.body;
      std::string message = "the body";
      if (transfer.body_full) message += " (its first " + std::to_string(kBodyBytes) + " bytes)";
      message += " does not match --expect-body-regex " + quote_input(body_->pattern());
      message += body.empty() ? "; it is empty"
                 : body.size() <= kQuotedBodyBytes
                     ? "; it is " + quote_input(body)
                     : "; it begins " + quote_input(body.substr(0, kQuotedBodyBytes));
      return ErrorInfo{0, "HTTP_BODY_MISMATCH", message};
    }
    return std::nullopt;
  }

  // Why a transfer without an answer failed: curl's error name and message, made specific where
  // seltool's options are the likely cause.
  ErrorInfo transfer_error(const Transfer& transfer, CURLcode result) const {
    CURL* easy = transfer.easy.get();
    long os_errno = 0;
    curl().curl_easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
    std::string message = transfer.error[0] ? transfer.error : curl().curl_easy_strerror(result);
    const std::string& socket = options_.http.unix_socket;
    if (result == CURLE_COULDNT_CONNECT && !socket.empty()) {
      // curl names the URL's host and port, which --unix-socket replaces.
      message = "cannot connect to --unix-socket " + quote_input(socket) +
                (os_errno ? ": " + error_text(static_cast<int>(os_errno)) : "");
    } else if (result == CURLE_PEER_FAILED_VERIFICATION) {
      message += "; --cacert FILE trusts a CA of your own, -k skips the verification";
    }
    return ErrorInfo{static_cast<int>(os_errno), curl_code_name(result), one_line(message)};
  }

  const CheckOptions options_;
  const Finished finished_;
  const std::optional<ExtendedRegex> body_;    // --expect-body-regex
  const std::vector<ExpectedHeader> headers_;  // --expect-header
  Slist request_headers_;                      // --request-header; freed after multi_
  CURLM* multi_ = nullptr;
  std::map<TargetEntry*, std::unique_ptr<Transfer>> transfers_;
  std::optional<CheckSockets> sockets_;  // curl's; reset before curl_multi_cleanup
  std::optional<Clock::time_point> timer_;
  std::exception_ptr callback_error_;
  bool closing_ = false;
};

}  // namespace

std::unique_ptr<ProtocolChecks> make_http_checks(Selector& selector, CheckOptions options,
                                                 ProtocolChecks::Finished finished,
                                                 const std::string&) {
  return std::make_unique<CurlChecks>(selector, std::move(options), std::move(finished));
}

}  // namespace seltool::cli
