#include "cli/targets.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <system_error>

#include "cli/created_files.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

constexpr std::string_view kForms =
    "expected N, fd:N, -, stdin, HOST:PORT, [V6]:PORT, tcp:HOST:PORT, tcp-listen:[HOST:]PORT, "
    "unix:PATH, unix-listen:PATH, file:PATH or a PATH containing '/'";

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

// Failures that are seltool's own (out of descriptors or memory), not the input's fault.
bool is_resource_error(int errnum) {
  return errnum == EMFILE || errnum == ENFILE || errnum == ENOMEM || errnum == ENOBUFS;
}

[[noreturn]] void open_failed(const TargetSpec& spec, const std::string& what, int errnum) {
  const std::string message = "target '" + spec.text + "': " + what + ": " + std::strerror(errnum);
  if (is_resource_error(errnum)) throw std::system_error(errnum, std::generic_category(), message);
  throw UsageError(message);
}

int new_socket(int family) {
  return ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

}  // namespace

TargetSpec parse_target(std::string_view text) {
  TargetSpec spec;
  spec.text = std::string(text);
  const auto rest_after = [&](std::string_view prefix) { return text.substr(prefix.size()); };
  if (text == "-" || text == "stdin") {
    spec.fd = 0;
  } else if (auto fd = descriptor_number(text)) {
    spec.fd = *fd;
  } else if (starts_with(text, "fd:")) {
    const auto number = descriptor_number(rest_after("fd:"));
    if (!number) {
      throw UsageError("invalid target '" + spec.text +
                       "': fd:N needs a descriptor number from 0 to " + std::to_string(INT_MAX));
    }
    spec.fd = *number;
  } else if (starts_with(text, "tcp-listen:")) {
    spec.kind = TargetKind::kTcpListen;
    std::string address(rest_after("tcp-listen:"));
    if (address.find(':') == std::string::npos) address.insert(0, ":");  // PORT alone: any host
    spec.endpoint = split_host_port(address, text);
  } else if (starts_with(text, "tcp:")) {
    spec.kind = TargetKind::kTcpConnect;
    spec.endpoint = split_host_port(rest_after("tcp:"), text);
  } else if (starts_with(text, "unix-listen:") || starts_with(text, "unix:")) {
    const bool listen = starts_with(text, "unix-listen:");
    spec.kind = listen ? TargetKind::kUnixListen : TargetKind::kUnixConnect;
    spec.path = std::string(rest_after(listen ? "unix-listen:" : "unix:"));
    unix_socket_address(spec.path, text);  // validates the length now, before any output
  } else if (starts_with(text, "file:") || text.find('/') != std::string_view::npos) {
    spec.kind = TargetKind::kPath;
    spec.path = std::string(starts_with(text, "file:") ? rest_after("file:") : text);
    if (spec.path.empty()) throw UsageError("invalid target '" + spec.text + "': empty path");
  } else if (text.find(':') != std::string_view::npos) {
    spec.kind = TargetKind::kTcpConnect;
    spec.endpoint = split_host_port(text, text);
  } else {
    throw UsageError("invalid target '" + spec.text + "': " + std::string(kForms));
  }
  return spec;
}

Events parse_events(std::string_view list) {
  if (list.empty()) return 0;
  if (list == "read") return EVENT_READ;
  if (list == "write") return EVENT_WRITE;
  if (list == "read,write" || list == "write,read") return EVENT_READ | EVENT_WRITE;
  throw UsageError("invalid --events '" + std::string(list) +
                   "': expected read, write or read,write");
}

Events default_events(const TargetSpec& spec) { return spec.connects() ? EVENT_WRITE : EVENT_READ; }

Target::Target(TargetSpec spec, Events interest) : spec_(std::move(spec)), interest_(interest) {
  switch (spec_.kind) {
    case TargetKind::kDescriptor: {
      if (::fcntl(spec_.fd, F_GETFD) == -1) {
        throw UsageError("target '" + spec_.text + "': descriptor " + std::to_string(spec_.fd) +
                         " is not open (open it in the shell, e.g. exec " +
                         std::to_string(spec_.fd) + "<file)");
      }
      fd_ = spec_.fd;
      struct stat status {};
      socket_ = ::fstat(fd_, &status) == 0 && S_ISSOCK(status.st_mode);
      const int access = ::fcntl(fd_, F_GETFL) & O_ACCMODE;
      if (access == O_RDONLY) possible_ = EVENT_READ;
      if (access == O_WRONLY) possible_ = EVENT_WRITE;
      if ((interest_ & possible_) == 0) {
        throw UsageError("target '" + spec_.text + "': descriptor " + std::to_string(fd_) +
                         " is open " + (access == O_RDONLY ? "read-only" : "write-only") +
                         ", so it can never be " +
                         (access == O_RDONLY ? "writable (-e write)" : "readable (-e read)"));
      }
      return;
    }
    case TargetKind::kPath: {
      const int mode = interest_ == (EVENT_READ | EVENT_WRITE) ? O_RDWR
                       : interest_ == EVENT_WRITE              ? O_WRONLY
                                                               : O_RDONLY;
      owned_.reset(::open(spec_.path.c_str(), mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
      if (!owned_) {
        const int errnum = errno;
        open_failed(spec_,
                    errnum == ENXIO ? "cannot open FIFO for writing (no reader)" : "cannot open",
                    errnum);
      }
      fd_ = owned_.get();
      struct stat status {};
      socket_ = ::fstat(fd_, &status) == 0 && S_ISSOCK(status.st_mode);
      return;
    }
    case TargetKind::kTcpListen:
    case TargetKind::kUnixListen: {
      std::vector<SocketAddress> candidates;
      if (spec_.kind == TargetKind::kUnixListen) {
        candidates.push_back(unix_socket_address(spec_.path, spec_.text));
      } else {
        Resolution resolved = resolve_tcp(spec_.endpoint, /*passive=*/true);
        if (resolved.addresses.empty())
          throw UsageError("target '" + spec_.text + "': " + resolved.error);
        candidates = std::move(resolved.addresses);
      }
      int errnum = 0;
      for (const SocketAddress& address : candidates) {
        UniqueFd listener(new_socket(address.family()));
        if (!listener) open_failed(spec_, "socket", errno);
        const int on = 1;
        if (address.family() != AF_UNIX) {
          ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        }
        if (::bind(listener.get(), address.get(), address.length) == 0 &&
            ::listen(listener.get(), SOMAXCONN) == 0) {
          owned_ = std::move(listener);
          fd_ = owned_.get();
          socket_ = true;
          unlink_path_ = spec_.kind == TargetKind::kUnixListen;
          if (unlink_path_) note_created_file(spec_.path);
          return;
        }
        errnum = errno;
      }
      open_failed(spec_, "cannot listen on " + format_address(candidates.front()), errnum);
    }
    case TargetKind::kTcpConnect:
    case TargetKind::kUnixConnect:
      socket_ = true;
      return;
  }
}

Target::~Target() {
  if (unlink_path_) remove_created_file(spec_.path);
}

void Target::fail(Json error) {
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
      fail(Json{{"errno", 0}, {"code", resolved.error_code}, {"message", resolved.error}});
      return Connect::kFailed;
    }
    addresses_ = std::move(resolved.addresses);
  }
  return connect_from(0);
}

Target::Connect Target::connect_from(std::size_t index) {
  for (next_address_ = index; next_address_ < addresses_.size(); ++next_address_) {
    const SocketAddress& address = addresses_[next_address_];
    owned_.reset(new_socket(address.family()));
    if (!owned_) {
      const int errnum = errno;
      throw std::system_error(errnum, std::generic_category(),
                              "target '" + spec_.text + "': socket");
    }
    fd_ = owned_.get();
    if (::connect(fd_, address.get(), address.length) == 0 || errno == EINPROGRESS) {
      return Connect::kInProgress;
    }
    fail(error_json(errno));
  }
  return Connect::kFailed;
}

Target::Connect Target::connect_writable() {
  int error = 0;
  socklen_t length = sizeof error;
  if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) == -1) error = errno;
  if (error == 0) return Connect::kConnected;
  fail(error_json(error));
  return connect_from(next_address_ + 1);
}

std::vector<std::unique_ptr<Target>> open_targets(const std::vector<std::string>& texts,
                                                  Events events) {
  std::vector<TargetSpec> specs;
  for (const std::string& text : texts) specs.push_back(parse_target(text));
  // Inherited descriptors first: a number that is not open must be refused before a file or
  // socket seltool opens takes it. The order of the targets stays the command line's.
  std::vector<std::unique_ptr<Target>> targets(specs.size());
  for (bool inherited : {true, false}) {
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if ((specs[i].kind == TargetKind::kDescriptor) != inherited) continue;
      const Events interest = events ? events : default_events(specs[i]);
      targets[i] = std::make_unique<Target>(std::move(specs[i]), interest);
    }
  }
  return targets;
}

void register_target(Selector& selector, const Target& target, Events events, std::any data) {
  const auto refused = [&](const std::string& why) {
    return UsageError("target '" + target.spec().text + "': the " + std::string(selector.name()) +
                      " selector cannot watch descriptor " + std::to_string(target.fd()) + ": " +
                      why);
  };
  try {
    selector.register_file(target.fd(), events, std::move(data));
  } catch (const already_registered&) {
    throw UsageError("target '" + target.spec().text + "': descriptor " +
                     std::to_string(target.fd()) + " is already given by another target");
  } catch (const std::invalid_argument& error) {
    throw refused(error.what());
  } catch (const std::system_error& error) {
    if (error.code().value() != EPERM) throw;
    throw refused(std::string(error.what()) +
                  " (regular files and some devices are always ready; try --selector poll)");
  }
}

Json Target::fields() const {
  Json fields{{"target", spec_.text}};
  if (fd_ < 0) return fields;  // a connect target between attempts
  fields["fd"] = fd_;
  if (socket_) {
    const std::string local = local_address(fd_);
    const std::string peer = peer_address(fd_);
    if (!local.empty()) fields["local"] = local;
    if (!peer.empty()) fields["peer"] = peer;
  }
  return fields;
}

}  // namespace seltool::cli
