// HTTP readiness checks of http:// and https:// targets: one GET per attempt, answered once
// its status line and headers arrive (the body is not read). The checks run inside the
// TargetSet's loop: their sockets are registered with its selector (key data KeyOwner{checks})
// and their timer is one of its wake-ups, so no call blocks. Redirects are not followed (a 3xx
// is an answer like any other) and proxy variables are ignored: the check is about the server
// the URL names. Which implementation a build has is chosen per OS in cli/BUILD.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/base/duration.h"
#include "cli/targets/http_status.h"
#include "cli/targets/target_entry.h"

namespace seltool::cli {

struct HttpCheckOptions {
  HttpStatuses accepted;                    // --http-status
  std::optional<Duration> connect_timeout;  // --connect-timeout, per connect of a check
};

class HttpChecks {
 public:
  // Called when a check of `entry` ended: passed (an accepted status, in
  // entry.target->http_status()) or not (why in entry.target->last_error(), the status too
  // when the server answered one that is not accepted).
  using Finished = std::function<void(TargetEntry& entry, bool passed)>;

  virtual ~HttpChecks() = default;

  // Throws UsageError when the URL of `spec` cannot be checked (malformed).
  virtual void validate(const TargetSpec& spec) const = 0;
  // Starts a GET of the entry's URL.
  virtual void start(TargetEntry& entry) = 0;
  // Abandons the check of `entry` under way, if any (before the entry goes away).
  virtual void cancel(TargetEntry& entry) = 0;
  // The selector reported one of the checks' sockets.
  virtual void on_socket_ready(int fd, Events ready, Conditions conditions) = 0;
  // When on_timer() is due; nullopt: no timer.
  virtual std::optional<Clock::time_point> next_timer() const = 0;
  virtual void on_timer(Clock::time_point now) = 0;
};

// The checks of this build (libcurl's). Throws UsageError naming `target` where this build has
// none (Windows).
std::unique_ptr<HttpChecks> make_http_checks(Selector& selector, HttpCheckOptions options,
                                             HttpChecks::Finished finished,
                                             const std::string& target);

}  // namespace seltool::cli
