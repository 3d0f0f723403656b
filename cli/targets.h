// TARGETs of `watch` and `wait`: what the user wrote (TargetSpec) and what seltool opened for
// it (Target). The grammar is documented in docs/cli.md.
#pragma once

#include <any>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/json_lines.h"
#include "cli/socket_address.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::cli {

enum class TargetKind { kDescriptor, kTcpConnect, kTcpListen, kUnixConnect, kUnixListen, kPath };

struct TargetSpec {
  std::string text;  // exactly as given on the command line
  TargetKind kind = TargetKind::kDescriptor;
  int fd = -1;        // kDescriptor
  HostPort endpoint;  // kTcpConnect, kTcpListen
  std::string path;   // kUnixConnect, kUnixListen, kPath

  bool connects() const {
    return kind == TargetKind::kTcpConnect || kind == TargetKind::kUnixConnect;
  }
};

// Parses one TARGET. Throws UsageError naming it and listing the forms when it is none of them.
TargetSpec parse_target(std::string_view text);

// Parses -e/--events ("read", "write", "read,write"); "" gives 0: each target's default.
Events parse_events(std::string_view list);
// What a target waits for when -e is not given: write (connected) for connect targets, else read.
Events default_events(const TargetSpec& spec);

// A target opened for watching. Owns what seltool opened (sockets, files); an inherited
// descriptor stays the caller's and is never closed or changed (no O_NONBLOCK on it).
class Target {
 public:
  enum class Connect { kInProgress, kConnected, kFailed };

  // Checks an inherited descriptor is open; opens a path; binds and listens. Connect targets
  // get their socket from begin_connect(). Throws UsageError when the input is at fault (no
  // such file, port in use, descriptor not open), std::system_error when seltool is (EMFILE).
  Target(TargetSpec spec, Events interest);
  ~Target();
  Target(const Target&) = delete;
  Target& operator=(const Target&) = delete;

  const TargetSpec& spec() const { return spec_; }
  Events interest() const { return interest_; }
  // What the descriptor can be ready for: a read-only descriptor (a pipe's read end) is never
  // writable, although poll and epoll fold a hangup into both events and select does not.
  Events possible() const { return possible_; }
  int fd() const { return fd_; }
  bool is_socket() const { return socket_; }
  bool is_listener() const {
    return spec_.kind == TargetKind::kTcpListen || spec_.kind == TargetKind::kUnixListen;
  }

  // Connect targets. begin_connect() resolves the address and starts a non-blocking connect
  // on a new socket. Once that socket is writable, connect_writable() reads SO_ERROR; a failed
  // address is followed by the next one the name resolved to, on a new socket (kInProgress
  // again, fd() changed). kFailed: no address left, fd() is -1 and last_error() says why.
  Connect begin_connect();
  Connect connect_writable();
  const Json& last_error() const { return last_error_; }

  // {"target": ..., "fd": ..., "local": ..., "peer": ...}: the fields every line about this
  // target starts with ("fd" only while it has one, addresses where the socket has them).
  Json fields() const;

 private:
  Connect connect_from(std::size_t index);
  void fail(Json error);

  TargetSpec spec_;
  Events interest_;
  Events possible_ = EVENT_READ | EVENT_WRITE;
  UniqueFd owned_;  // empty for inherited descriptors
  int fd_ = -1;
  bool socket_ = false;
  bool unlink_path_ = false;  // a unix-listen socket file seltool created
  std::vector<SocketAddress> addresses_;
  std::size_t next_address_ = 0;
  Json last_error_;
};

// Parses and opens every TARGET, with -e/--events `events` (0: each target's default).
std::vector<std::unique_ptr<Target>> open_targets(const std::vector<std::string>& texts,
                                                  Events events);

// Registers `target`'s descriptor for `events`. What is refused because of the input (the same
// descriptor twice; select: a descriptor >= FD_SETSIZE; epoll: a regular file) is a UsageError
// naming the target.
void register_target(Selector& selector, const Target& target, Events events, std::any data);

}  // namespace seltool::cli
