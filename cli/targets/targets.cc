#include "cli/targets/targets.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <system_error>
#include <utility>

#include "cli/base/usage_error.h"
#include "cli/os/created_files.h"
#include "cli/os/socket_ops.h"

namespace seltool::cli {
namespace {

// "expected N, fd:N, ..., file:PATH or PATH": the forms for an error.
std::string expected_forms() {
  std::string text = "expected ";
  const auto& forms = target_forms();
  for (std::size_t i = 0; i < forms.size(); ++i) {
    if (i > 0) text += i + 1 == forms.size() ? " or " : ", ";
    text += forms[i].syntax;
  }
  return text;
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::optional<int> descriptor_number(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  long long value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value > INT_MAX) return std::nullopt;
  return int(value);
}

std::string to_lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string to_upper(std::string_view text) {
  std::string upper(text);
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

std::string quoted(const TargetSpec& spec) { return "target " + quote_input(spec.text); }

[[noreturn]] void open_failed(const TargetSpec& spec, const std::string& what, int errnum) {
  throw_open_failure(quoted(spec) + ": " + what, errnum);
}

}  // namespace

namespace {

// "SCHEME://REST" -> ("SCHEME", "REST"); nullopt when `text` has no "://" after a scheme name.
std::optional<std::pair<std::string_view, std::string_view>> split_url(std::string_view text) {
  const std::size_t separator = text.find("://");
  if (separator == 0 || separator == std::string_view::npos) return std::nullopt;
  const std::string_view scheme = text.substr(0, separator);
  for (char c : scheme) {
    const bool scheme_char =
        std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
    if (!scheme_char) return std::nullopt;
  }
  return std::pair{scheme, text.substr(separator + 3)};
}

// The port of a URL's "[USER@]HOST[:PORT][/PATH...]" with leading zeros dropped ("0" for
// ":000"), "" when none is given; the URL's syntax is the HTTP client's to check.
std::string url_port(std::string_view rest) {
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  authority.remove_prefix(std::min(authority.size(), authority.rfind('@') + 1));
  const std::size_t colon = authority.rfind(':');
  const std::size_t bracket = authority.rfind(']');
  if (colon == std::string_view::npos || (bracket != std::string_view::npos && colon < bracket)) {
    return "";
  }
  std::string_view port = authority.substr(colon + 1);
  if (port.empty()) return "";
  const std::size_t first_digit = port.find_first_not_of('0');
  return std::string(first_digit == std::string_view::npos ? "0" : port.substr(first_digit));
}

bool is_service_scheme(std::string_view scheme) {
  return scheme == "postgres" || scheme == "postgresql" || scheme == "redis";
}

// Where the "[USER[:PASSWORD]@]HOST[:PORT]" part of a URL's `rest` (after "SCHEME://") ends: at
// "/", "?" or "#" for http(s) (RFC 3986, as curl reads it); at "/" or "?" for the database
// schemes, whose parser below allows "#" in a password. The one rule for parsing and hiding.
std::size_t authority_end(std::string_view scheme, std::string_view rest) {
  return rest.find_first_of(is_service_scheme(scheme) ? "/?" : "/?#");
}

// "SCHEME://USER:***@HOST...": the URL with the password of its user information hidden (and,
// for postgres://, that of a password= parameter).
std::string hide_password(std::string_view scheme, std::string_view rest) {
  std::string shown = std::string(scheme) + "://";
  const std::string_view authority = rest.substr(0, authority_end(scheme, rest));
  const std::size_t at = authority.rfind('@');
  const std::size_t colon = authority.substr(0, at).find(':');
  if (at != std::string_view::npos && colon != std::string_view::npos) {
    shown += std::string(rest.substr(0, colon + 1)) + "***";
    rest.remove_prefix(at);
  }
  const std::size_t query = rest.find('?');
  if (query == std::string_view::npos || (scheme != "postgres" && scheme != "postgresql")) {
    return shown + std::string(rest);
  }
  shown += std::string(rest.substr(0, query));
  std::string_view parameters = rest.substr(query);  // "?a=b&password=c"
  while (!parameters.empty()) {
    const std::size_t end = parameters.find('&', 1);
    const std::string_view parameter = parameters.substr(0, end);
    shown += starts_with(parameter.substr(1), "password=")
                 ? std::string(parameter.substr(0, 1)) + "password=***"
                 : std::string(parameter);
    parameters.remove_prefix(end == std::string_view::npos ? parameters.size() : end);
  }
  return shown;
}

// %XX-decodes `text`; nullopt when a % is not followed by two hexadecimal digits.
std::optional<std::string> percent_decoded(std::string_view text) {
  std::string decoded;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      decoded += text[i];
      continue;
    }
    const auto hex = [&](std::size_t at) -> int {
      if (at >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[at]))) return -1;
      const char c = static_cast<char>(std::tolower(static_cast<unsigned char>(text[at])));
      return c <= '9' ? c - '0' : c - 'a' + 10;
    };
    const int high = hex(i + 1);
    const int low = hex(i + 2);
    if (high < 0 || low < 0) return std::nullopt;
    decoded += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return decoded;
}

// postgres:// and redis://: [USER[:PASSWORD]@]HOST[:PORT][/DATABASE][?PARAMETERS]. The
// parameters are postgres's (libpq checks them); redis:// has none, and a number as DATABASE.
void parse_service_url(TargetSpec& spec, std::string_view scheme, std::string_view rest) {
  const bool redis = scheme == "redis";
  const std::string expected =
      redis ? "redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]"
            : std::string(scheme) + "://USER[:PASSWORD]@HOST[:PORT][/DB][?PARAMETERS]";
  const auto invalid = [&](const std::string& why) {
    return UsageError("invalid " + quoted(spec) + ": " + why + " (expected " + expected + ")");
  };
  spec.kind = redis ? TargetKind::kRedis : TargetKind::kPostgres;
  spec.url = std::string(scheme) + "://" + std::string(rest);
  const std::size_t query = rest.find('?');
  if (redis && query != std::string_view::npos) throw invalid("redis:// takes no parameters");
  std::string_view authority = rest.substr(0, authority_end(scheme, rest));
  std::string_view path = rest.substr(authority.size(), query - authority.size());
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    const std::size_t colon = user_info.find(':');
    const auto user = percent_decoded(user_info.substr(0, colon));
    if (!user) throw invalid("bad %-escape in the user name");
    spec.service.user = *user;
    if (colon != std::string_view::npos) {
      spec.service.password = percent_decoded(user_info.substr(colon + 1));
      if (!spec.service.password) throw invalid("bad %-escape in the password");
    }
    authority.remove_prefix(at + 1);
  }
  if (authority.empty()) throw invalid("no HOST");
  // The scheme's port when none is given: after "]" for [V6], after the name otherwise.
  const std::size_t bracket = authority.rfind(']');
  const bool has_port = authority.find(':', bracket == std::string_view::npos ? 0 : bracket) !=
                        std::string_view::npos;
  const std::string host_port = std::string(authority) + (has_port ? ""
                                                          : redis  ? ":6379"
                                                                   : ":5432");
  spec.service.endpoint = split_host_port(host_port, spec.text);
  if (spec.service.endpoint.host.empty()) throw invalid("no HOST");
  if (spec.service.endpoint.port == "0") throw invalid("port 0 cannot be connected to");
  if (!path.empty()) path.remove_prefix(1);  // the "/" before DATABASE
  const auto database = percent_decoded(path);
  if (!database) throw invalid("bad %-escape in the database name");
  if (redis && !database->empty() && !descriptor_number(*database)) {
    throw invalid("the database must be a number");
  }
  spec.service.database = *database;
}

constexpr std::string_view kNoUdp =
    "seltool does not wait for UDP: a UDP port accepts no connection, so nothing shows it is "
    "ready (wait for the service's TCP port, or an http:// check, instead)";

// `scheme` is in lower case; the text shown keeps the case the user wrote it in.
void parse_url(TargetSpec& spec, std::string_view scheme, std::string_view rest) {
  if (scheme != "tcp" && scheme != "unix") {
    const std::string given_scheme = spec.text.substr(0, scheme.size());
    spec.text = hide_password(scheme, rest).replace(0, scheme.size(), given_scheme);
  }
  if (scheme == "tcp") {
    if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);  // tcp://host:port/
    spec.kind = TargetKind::kTcpConnect;
    spec.endpoint = split_host_port(rest, spec.text);
  } else if (scheme == "unix") {
    spec.kind = TargetKind::kUnixConnect;  // unix:///run/app.sock is the path /run/app.sock
    spec.path = std::string(rest);
    unix_socket_address(spec.path, spec.text);
  } else if (scheme == "http" || scheme == "https") {
    spec.kind = TargetKind::kHttp;
    if (rest.empty() || rest.front() == '/') {
      throw UsageError("invalid " + quoted(spec) + ": expected " + std::string(scheme) +
                       "://HOST[:PORT][/PATH]");
    }
    spec.url = std::string(scheme) + "://" + std::string(rest);
    if (url_port(rest) == "0") {
      throw UsageError("invalid " + quoted(spec) + ": port 0 cannot be connected to");
    }
  } else if (is_service_scheme(scheme)) {
    parse_service_url(spec, scheme, rest);
  } else if (scheme == "file") {
    // file:///PATH (RFC 8089); file://localhost/PATH names the same file.
    if (starts_with(rest, "localhost/")) rest.remove_prefix(std::string_view("localhost").size());
    if (rest.empty() || rest.front() != '/') {
      throw UsageError("invalid " + quoted(spec) +
                       ": expected file:///ABSOLUTE/PATH (a file on another host cannot be "
                       "waited for; file:PATH takes a relative path)");
    }
    spec.kind = TargetKind::kPath;
    spec.awaited = true;
    spec.path = std::string(rest);
  } else if (starts_with(scheme, "udp")) {
    throw UsageError("invalid " + quoted(spec) + ": " + std::string(kNoUdp));
  } else {
    throw UsageError("invalid " + quoted(spec) + ": seltool does not support '" +
                     std::string(scheme) +
                     "://' (supported: tcp://, unix://, http://, https://, postgres://, "
                     "postgresql://, redis://, file://)");
  }
}

}  // namespace

const std::vector<TargetForm>& target_forms() {
  static const std::vector<TargetForm> forms = {
      {"N", "3", TargetKind::kDescriptor},
      {"fd:N", "fd:3", TargetKind::kDescriptor},
      {"-", "-", TargetKind::kDescriptor},
      {"stdin", "stdin", TargetKind::kDescriptor},
      {"HOST:PORT", "127.0.0.1:5432", TargetKind::kTcpConnect},
      {"[V6]:PORT", "[::1]:5432", TargetKind::kTcpConnect},
      {"tcp:HOST:PORT", "tcp:localhost:5432", TargetKind::kTcpConnect},
      {"tcp://HOST:PORT", "tcp://localhost:5432", TargetKind::kTcpConnect},
      {"tcp-listen:[HOST:]PORT", "tcp-listen:8080", TargetKind::kTcpListen},
      {"unix:PATH", "unix:app.sock", TargetKind::kUnixConnect},
      {"unix:///PATH", "unix:///run/app.sock", TargetKind::kUnixConnect},
      {"unix-listen:PATH", "unix-listen:app.sock", TargetKind::kUnixListen},
      {"http://HOST[:PORT][/PATH]", "http://localhost:8080/health", TargetKind::kHttp},
      {"https://HOST[:PORT][/PATH]", "https://localhost/health", TargetKind::kHttp},
      {"postgres://USER[:PASSWORD]@HOST[:PORT][/DB]", "postgres://app@localhost:5432/app",
       TargetKind::kPostgres},
      {"postgresql://USER[:PASSWORD]@HOST[:PORT][/DB]", "postgresql://app@localhost/app",
       TargetKind::kPostgres},
      {"redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]", "redis://localhost:6379", TargetKind::kRedis},
      {"pid:PID:FD", "pid:1234:5", TargetKind::kPid},
      {"file:PATH", "file:app.fifo", TargetKind::kPath},
      {"file:///PATH", "file:///run/app.ready", TargetKind::kPath},
      {"PATH", "/run/app.fifo", TargetKind::kPath},
  };
  return forms;
}

const std::vector<ForeignWord>& foreign_words() {
  static const std::vector<ForeignWord> words = {
      {"tcp:", "tcp:", AF_UNSPEC, "tcp:HOST:PORT"},
      {"tcp-connect:", "tcp:", AF_UNSPEC, "tcp:HOST:PORT"},
      {"tcp4:", "tcp:", AF_INET, "tcp:HOST:PORT, IPv4 addresses only"},
      {"tcp4-connect:", "tcp:", AF_INET, "tcp:HOST:PORT, IPv4 addresses only"},
      {"tcp6:", "tcp:", AF_INET6, "tcp:HOST:PORT, IPv6 addresses only"},
      {"tcp6-connect:", "tcp:", AF_INET6, "tcp:HOST:PORT, IPv6 addresses only"},
      {"tcp-listen:", "tcp-listen:", AF_UNSPEC, "tcp-listen:[HOST:]PORT (PORT alone: loopback)"},
      {"tcp4-listen:", "tcp-listen:", AF_INET, "tcp-listen:[HOST:]PORT, on IPv4 (127.0.0.1)"},
      {"tcp6-listen:", "tcp-listen:", AF_INET6, "tcp-listen:[HOST:]PORT, on IPv6 ([::1])"},
      {"unix:", "unix:", AF_UNSPEC, "unix:PATH"},
      {"unix-connect:", "unix:", AF_UNSPEC, "unix:PATH"},
      {"unix-client:", "unix:", AF_UNSPEC, "unix:PATH"},
      {"unix-listen:", "unix-listen:", AF_UNSPEC, "unix-listen:PATH"},
      {"udp:", "", AF_UNSPEC, kNoUdp},
      {"udp4:", "", AF_UNSPEC, kNoUdp},
      {"udp6:", "", AF_UNSPEC, kNoUdp},
      {"udp-connect:", "", AF_UNSPEC, kNoUdp},
      {"udp-listen:", "", AF_UNSPEC, kNoUdp},
      {"udp4-listen:", "", AF_UNSPEC, kNoUdp},
      {"udp6-listen:", "", AF_UNSPEC, kNoUdp},
  };
  return words;
}

std::string target_synopsis() {
  std::string text;
  for (const TargetForm& form : target_forms()) {
    if (!target_kind_available(form.kind)) continue;
    text += (text.empty() ? "" : " | ") + std::string(form.syntax);
  }
  text += ". Also read (in any case): URL schemes such as HTTP://, and socat's";
  for (const ForeignWord& word : foreign_words()) {
    text += (&word == &foreign_words().front() ? " " : ", ") + to_upper(word.word);
  }
  return text + " (UDP ones are refused)";
}

namespace {

// The foreign word `text` starts with, in any case; nullptr if none.
const ForeignWord* foreign_word_in(std::string_view text) {
  const std::string lower = to_lower(text.substr(0, text.find(':') + 1));
  for (const ForeignWord& word : foreign_words()) {
    if (lower == word.word) return &word;
  }
  return nullptr;
}

// "HOST:PORT/PATH" that names no file: an http:// URL without its scheme.
bool url_without_scheme(std::string_view text) {
  const std::size_t slash = text.find('/');
  if (starts_with(text, "file:") || slash == std::string_view::npos ||
      text.substr(0, slash).find(':') == std::string::npos) {
    return false;
  }
  try {
    split_host_port(text.substr(0, slash), text);
  } catch (const UsageError&) {
    return false;
  }
  return !path_exists(std::string(text));
}

// Parses `text`, the target as given (spec.text) with a foreign word or a URL scheme in
// upper case rewritten to seltool's own, lower-case form; `family` is the foreign word's.
TargetSpec parse_own_form(TargetSpec spec, std::string_view text, int family) {
  const auto rest_after = [&](std::string_view prefix) { return text.substr(prefix.size()); };
  if (text == "-" || text == "stdin") {
    spec.fd = 0;
  } else if (auto fd = descriptor_number(text)) {
    spec.fd = *fd;
  } else if (auto url = split_url(text)) {
    parse_url(spec, to_lower(url->first), url->second);
  } else if (starts_with(text, "fd:")) {
    const auto number = descriptor_number(rest_after("fd:"));
    if (!number) {
      throw UsageError("invalid " + quoted(spec) + ": fd:N needs a descriptor number from 0 to " +
                       std::to_string(INT_MAX));
    }
    spec.fd = *number;
  } else if (starts_with(text, "pid:")) {
    spec.kind = TargetKind::kPid;
    const std::string_view rest = rest_after("pid:");
    const std::size_t colon = rest.find(':');
    const auto pid = descriptor_number(rest.substr(0, colon));
    const auto fd =
        colon == std::string_view::npos ? std::nullopt : descriptor_number(rest.substr(colon + 1));
    if (!pid || *pid == 0 || !fd) {
      throw UsageError("invalid " + quoted(spec) +
                       ": expected pid:PID:FD, e.g. pid:1234:5 (see ls -l /proc/PID/fd)");
    }
    spec.pid = *pid;
    spec.fd = *fd;
  } else if (starts_with(text, "tcp-listen:")) {
    spec.kind = TargetKind::kTcpListen;
    std::string address(rest_after("tcp-listen:"));
    // PORT alone listens on loopback, as `seltool echo` does; ":PORT" on every address.
    if (address.find(':') == std::string::npos) {
      address.insert(0, family == AF_INET6 ? "[::1]:" : "127.0.0.1:");
    }
    spec.endpoint = split_host_port(address, spec.text);
  } else if (starts_with(text, "tcp:")) {
    spec.kind = TargetKind::kTcpConnect;
    spec.endpoint = split_host_port(rest_after("tcp:"), spec.text);
  } else if (starts_with(text, "unix-listen:") || starts_with(text, "unix:")) {
    const bool listen = starts_with(text, "unix-listen:");
    spec.kind = listen ? TargetKind::kUnixListen : TargetKind::kUnixConnect;
    spec.path = std::string(listen ? rest_after("unix-listen:") : *unix_path_in(text));
    unix_socket_address(spec.path, spec.text);  // validates the length now, before any output
  } else if (url_without_scheme(text)) {
    throw UsageError("invalid " + quoted(spec) + ": no such file; for an HTTP check write " +
                     quote_input("http://" + spec.text) + " (file:PATH for a file)");
  } else if (starts_with(text, "file:") || text.find('/') != std::string_view::npos) {
    spec.kind = TargetKind::kPath;
    spec.awaited = starts_with(text, "file:");
    spec.path = std::string(spec.awaited ? rest_after("file:") : text);
    if (spec.path.empty()) throw UsageError("invalid " + quoted(spec) + ": empty path");
  } else if (text.find(':') != std::string_view::npos) {
    try {
      spec.kind = TargetKind::kTcpConnect;
      spec.endpoint = split_host_port(text, spec.text);
    } catch (const UsageError&) {
      if (!path_exists(spec.text)) throw;
      spec.kind = TargetKind::kPath;  // "a:b", an existing file that is not HOST:PORT
      spec.path = spec.text;
    }
  } else if (path_exists(spec.text)) {
    spec.kind = TargetKind::kPath;
    spec.path = spec.text;
  } else {
    throw UsageError("invalid " + quoted(spec) + ": no such file, and not HOST:PORT (" +
                     expected_forms() + "; " + quote_input("file:" + spec.text) +
                     " waits for the file to appear)");
  }
  if (spec.kind == TargetKind::kTcpConnect && spec.endpoint.port == "0") {
    throw UsageError("invalid " + quoted(spec) + ": port 0 cannot be connected to");
  }
  spec.endpoint.family = family;
  return spec;
}

}  // namespace

TargetSpec parse_target(std::string_view text) {
  TargetSpec spec;
  spec.text = std::string(text);
  if (auto url = split_url(text)) return parse_own_form(std::move(spec), text, AF_UNSPEC);
  const ForeignWord* word = foreign_word_in(text);
  if (!word) return parse_own_form(std::move(spec), text, AF_UNSPEC);
  const std::string_view rest = text.substr(word->word.size());
  if (word->twin.empty()) {
    throw UsageError("invalid " + quoted(spec) + ": " + std::string(word->meaning));
  }
  if (const std::size_t comma = rest.find(','); comma != std::string_view::npos) {
    throw UsageError("invalid " + quoted(spec) + ": socat's address options (" +
                     quote_input(rest.substr(comma)) +
                     ") are not read; seltool has options of its own (see --help)");
  }
  return parse_own_form(std::move(spec), std::string(word->twin) + std::string(rest), word->family);
}

Events parse_events(std::string_view list) {
  if (list.empty()) return 0;
  if (list == "read") return EVENT_READ;
  if (list == "write") return EVENT_WRITE;
  if (list == "read,write" || list == "write,read") return EVENT_READ | EVENT_WRITE;
  throw UsageError("invalid --events " + quote_input(list) +
                   ": expected read, write or read,write");
}

Events default_events(const TargetSpec& spec) { return spec.connects() ? EVENT_WRITE : EVENT_READ; }

Target::Target(TargetSpec spec, Events interest) : spec_(std::move(spec)), interest_(interest) {
  switch (spec_.kind) {
    case TargetKind::kDescriptor:
      open_inherited();
      return;
    case TargetKind::kPid:
      borrow();
      take_access_mode("descriptor " + std::to_string(spec_.fd) + " of process " +
                       std::to_string(spec_.pid));
      return;
    case TargetKind::kPath: {
      if (spec_.until_gone) return;  // only ever stat()ed
      const int errnum = open_path();
      if (errnum == ENOENT && spec_.awaited) {  // absent(): waited for to appear
        last_error_ = ErrorInfo::from_errno(errnum);
        return;
      }
      if (errnum == EISDIR) {
        throw UsageError(quoted(spec_) + ": is a directory (seltool watches files, FIFOs, " +
                         "devices and sockets, not what a directory contains)");
      }
      if (errnum == ENXIO) open_failed(spec_, "cannot open FIFO for writing (no reader)", errnum);
      if (errnum != 0) open_failed(spec_, "cannot open", errnum);
      return;
    }
    case TargetKind::kTcpListen:
    case TargetKind::kUnixListen: {
      std::vector<SocketAddress> candidates;
      if (spec_.kind == TargetKind::kUnixListen) {
        candidates.push_back(unix_socket_address(spec_.path, spec_.text));
      } else {
        Resolution resolved = resolve_tcp(spec_.endpoint, /*passive=*/true);
        if (resolved.addresses.empty()) throw UsageError(quoted(spec_) + ": " + resolved.error);
        candidates = std::move(resolved.addresses);
      }
      int errnum = 0;
      for (const SocketAddress& address : candidates) {
        UniqueFd listener(open_stream_socket(address.family()));
        if (!listener) open_failed(spec_, "socket", errno);
        if (address.family() != AF_UNIX) {
          reuse_listening_address(listener.get());
        }
        const bool unix_socket = spec_.kind == TargetKind::kUnixListen;
        errnum = unix_socket ? listen_unix_socket(listener.get(), spec_.path, SOMAXCONN)
                             : bind_and_listen(listener.get(), address, SOMAXCONN);
        if (errnum == 0) {
          owned_ = std::move(listener);
          fd_ = owned_.get();
          socket_ = true;
          stream_ = Stream::kStreamSocket;
          unlink_path_ = unix_socket;
          return;
        }
      }
      open_failed(spec_, "cannot listen on " + format_address(candidates.front()), errnum);
    }
    case TargetKind::kTcpConnect:
    case TargetKind::kUnixConnect:
      socket_ = true;
      stream_ = Stream::kStreamSocket;
      return;
    case TargetKind::kHttp:
    case TargetKind::kPostgres:
    case TargetKind::kRedis:
      return;  // checked by the TargetSet's ProtocolChecks, with sockets of their own
  }
}

Target::~Target() {
  if (unlink_path_) remove_created_file(spec_.path);
}

void Target::borrow() {
  try {
    process_ = open_process(spec_.pid);
  } catch (const UsageError& error) {
    throw UsageError(quoted(spec_) + ": " + error.what());
  }
  try {
    owned_ = process_->borrow(spec_.fd);
  } catch (const std::system_error& error) {
    const int errnum = error.code().value();
    if (is_resource_error(errnum)) throw;
    throw UsageError(quoted(spec_) + ": " + process_->advice(spec_.fd, errnum));
  }
  fd_ = owned_.get();
}

std::optional<ErrorInfo> Target::owner_gone() const {
  if (!process_ || fd_ < 0) return std::nullopt;
  const std::string owner =
      "process " + std::to_string(spec_.pid) + " (" + process_->command() + ")";
  const ErrorInfo exited{0, "PROCESS_EXITED", owner + " exited"};
  if (process_->exited()) return exited;
  if (process_->still_holds(spec_.fd, fd_)) return std::nullopt;
  if (process_->exiting()) return exited;  // its pidfd is not readable yet
  return ErrorInfo{0, "DESCRIPTOR_CLOSED",
                   owner + " closed descriptor " + std::to_string(spec_.fd)};
}

bool Target::at_end() const {
  switch (stream_) {
    case Stream::kFile:
      return true;
    case Stream::kPipe:
    case Stream::kRecords:
      return hung_up(fd_);
    case Stream::kStreamSocket:
      return peer_ended_stream(fd_);
  }
  return false;
}

bool Target::reopen() {
  owned_.reset();
  fd_ = -1;
  if (const int errnum = open_path()) {
    last_error_ = ErrorInfo::from_errno(errnum);
    return false;
  }
  return true;
}

void Target::fail(ErrorInfo error) {
  owned_.reset();
  fd_ = -1;
  last_error_ = std::move(error);
}

Target::Connect Target::begin_connect() {
  addresses_.clear();
  next_address_ = 0;
  if (spec_.kind == TargetKind::kUnixConnect) {
    addresses_.push_back(unix_socket_address(spec_.path, spec_.text));
  } else {
    Resolution resolved = resolve_tcp(spec_.endpoint, /*passive=*/false);
    if (resolved.addresses.empty()) {
      fail(ErrorInfo{0, resolved.error_code, resolved.error});
      return Connect::kFailed;
    }
    addresses_ = std::move(resolved.addresses);
  }
  return connect_from(0);
}

Target::Connect Target::connect_from(std::size_t index) {
  for (next_address_ = index; next_address_ < addresses_.size(); ++next_address_) {
    const SocketAddress& address = addresses_[next_address_];
    owned_.reset(open_stream_socket(address.family()));
    if (!owned_) {
      const int errnum = errno;
      throw std::system_error(errnum, std::generic_category(), quoted(spec_) + ": socket");
    }
    fd_ = owned_.get();
    const int errnum = start_connect(fd_, address);
    if (errnum == 0 || errnum == EINPROGRESS) return Connect::kInProgress;
    fail(ErrorInfo::from_errno(errnum));
  }
  return Connect::kFailed;
}

int Target::connect_error() const { return take_socket_error(fd_); }

Target::Connect Target::next_address(int errnum) {
  fail(ErrorInfo::from_errno(errnum));
  return connect_from(next_address_ + 1);
}

std::string Target::local() const {
  if (!socket_ || fd_ < 0) return "";
  // Bound relative to its directory (created_files.h), a socket file's kernel name is only its
  // last component: name it as the user did.
  if (spec_.kind == TargetKind::kUnixListen) {
    return format_address(unix_socket_address(spec_.path, spec_.text));
  }
  return local_address(fd_);
}
std::string Target::peer() const { return socket_ && fd_ >= 0 ? peer_address(fd_) : ""; }

}  // namespace seltool::cli
