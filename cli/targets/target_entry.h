// One target in the loop of cli/targets/target_set.h, and what the loop's selector keys carry:
// what the loop and the checks it runs (cli/targets/protocol_checks.h) both hold.
#pragma once

#include <list>
#include <memory>
#include <optional>
#include <variant>

#include "cli/base/timers.h"
#include "cli/os/path_watch.h"
#include "cli/targets/targets.h"
#include "lib/selectors.h"

namespace seltool::cli {

struct TargetEntry;
class ProtocolChecks;

// A pid target's process descriptor: readable once the process has exited.
struct ProcessExit {};
// The watch of an entry's path (cli/os/path_watch.h): readable when the path may have changed.
struct PathChange {
  TargetEntry* entry;
};

// The data of every selector key the loop registers: the target entry a descriptor belongs
// to, the protocol checks that own one of their client library's sockets, a watched process's
// exit, or the watch of an entry's path. TargetSet::run() dispatches on it.
using KeyOwner = std::variant<TargetEntry*, ProtocolChecks*, ProcessExit, PathChange>;

// One target in the loop.
struct TargetEntry {
  explicit TargetEntry(std::unique_ptr<Target> target) : target(std::move(target)) {}

  std::unique_ptr<Target> target;
  Events armed = 0;                           // registered with the selector for these events now
  bool connecting = false;                    // an attempt (connect, HTTP check) is under way
  int attempts = 0;                           // attempts started
  std::optional<Clock::time_point> retry_at;  // a failed attempt's next try
  std::optional<Clock::time_point> attempt_deadline;  // --connect-timeout of this address
  std::list<TargetEntry>::iterator self;              // its place in the set, to drop it
  bool watching_exit = false;  // a pid target's process exit is registered with the selector
  // The path of a file: target is watched: it is absent (waited for to appear), waited for to
  // go (wait --invert-check), or followed (watch --follow). Through a PathWatch registered with
  // the selector where the OS gives notices, else looked at every TargetSetOptions::path_interval.
  bool followed = false;
  std::unique_ptr<PathWatch> path_watch;
  std::optional<Clock::time_point> path_check_at;
  bool watching_path() const { return path_watch || path_check_at; }
};

}  // namespace seltool::cli
