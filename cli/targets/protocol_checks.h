// Protocol checks: the targets that are ready when a server answers a trivial request, not
// when it accepts a connection. One implementation per protocol, each through the server's own
// client library, loaded at run time (cli/os/loaded_library.h) and driven without blocking:
//   http:// https://  one GET, answered once its status line and headers arrive (the body is
//                     read only for --expect-body-regex, at most 1 MiB); redirects are not
//                     followed (a 3xx is an answer like any other) and proxy variables are
//                     ignored (libcurl)
//   postgres://       a connection that completes its startup and authentication (libpq)
//   redis://          AUTH (with a password), SELECT (with a database) and PING answered (hiredis)
// The checks run inside the TargetSet's loop: their sockets are registered with its selector
// (key data KeyOwner{checks}) and their timer is one of its wake-ups, so no call blocks. Each
// attempt is a new connection, closed when the attempt ends. Which implementations a build has
// is chosen per OS in cli/targets/BUILD.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "cli/base/duration.h"
#include "cli/targets/http_options.h"
#include "cli/targets/target_entry.h"

namespace seltool::cli {

struct CheckOptions {
  HttpOptions http;                         // what HTTP checks send and expect
  std::optional<Duration> connect_timeout;  // --connect-timeout, per connect of a check
};

class ProtocolChecks {
 public:
  // Called when a check of `entry` ended: passed (the server answered as a ready one does) or
  // not (why in entry.target->last_error(), as the server or the library stated it).
  using Finished = std::function<void(TargetEntry& entry, bool passed)>;

  virtual ~ProtocolChecks() = default;

  // Throws UsageError when the URL of `spec` cannot be checked (malformed).
  virtual void validate(const TargetSpec& spec) const = 0;
  // Starts a check of the entry's URL.
  virtual void start(TargetEntry& entry) = 0;
  // Abandons the check of `entry` under way, if any (before the entry goes away).
  virtual void cancel(TargetEntry& entry) = 0;
  // The selector reported one of the checks' sockets.
  virtual void on_socket_ready(int fd, Events ready, Conditions conditions) = 0;
  // When on_timer() is due; nullopt: no timer.
  virtual std::optional<Clock::time_point> next_timer() const = 0;
  virtual void on_timer(Clock::time_point now) = 0;
};

// The sockets a ProtocolChecks has registered with the TargetSet's selector (key data
// KeyOwner{owner}); unregistered when it goes.
class CheckSockets {
 public:
  CheckSockets(Selector& selector, ProtocolChecks& owner) : selector_(selector), owner_(owner) {}
  ~CheckSockets();
  CheckSockets(const CheckSockets&) = delete;
  CheckSockets& operator=(const CheckSockets&) = delete;

  // Watches `fd` for `events` from now on; 0: no longer (before the library closes it).
  void watch(int fd, Events events);

 private:
  Selector& selector_;
  ProtocolChecks& owner_;
  std::set<int> watched_;
};

// A check's one-line error from a client library's message: its lines joined by a space,
// without trailing white space.
std::string one_line(std::string_view message);

// The checks of this build, one kind each. Each throws UsageError naming `target` where this
// build or this system has none (Windows; a client library that is not installed, naming the
// package to install).
std::unique_ptr<ProtocolChecks> make_http_checks(Selector& selector, CheckOptions options,
                                                 ProtocolChecks::Finished finished,
                                                 const std::string& target);
std::unique_ptr<ProtocolChecks> make_postgres_checks(Selector& selector, CheckOptions options,
                                                     ProtocolChecks::Finished finished,
                                                     const std::string& target);
std::unique_ptr<ProtocolChecks> make_redis_checks(Selector& selector, CheckOptions options,
                                                  ProtocolChecks::Finished finished,
                                                  const std::string& target);

}  // namespace seltool::cli
