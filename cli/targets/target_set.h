// The target loop `watch` and `wait` share. TargetSet opens the targets, registers them with one
// selector, runs the connect state machine of connect targets (attempts, the next address of a
// name, per-attempt timeouts, retries), keeps the deadline and the stop signals, and dispatches
// readiness. A command is a TargetPolicy: it decides what readiness, a connection and a failed
// attempt mean (watch: report and park; wait: retry, then exit or exec) and when it is done.
#pragma once

#include <chrono>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "cli/base/duration.h"
#include "cli/os/stop_signals.h"
#include "cli/targets/http_options.h"
#include "cli/targets/target_entry.h"
#include "cli/targets/targets.h"
#include "lib/selectors.h"

namespace seltool::cli {

// What a command decides. TargetSet::run() calls these; each may arm, park, drop or retry
// entries through the TargetSet.
class TargetPolicy {
 public:
  virtual ~TargetPolicy() = default;

  // Whether the command is done (asked before every wait and after each event), and then its
  // last words and exit code.
  virtual bool done() const = 0;
  virtual int finish() = 0;
  // `entry` (connected, or not a connect target) is ready for `ready` within what it is armed for.
  virtual void on_ready(TargetEntry& entry, Events ready, Conditions conditions) = 0;
  // A connect target connected; it stays registered, now for its interest.
  virtual void on_connected(TargetEntry& entry) { (void)entry; }
  // A protocol check passed: an HTTP target answered an accepted status
  // (entry.target->http_status()), a database answered.
  virtual void on_check_passed(TargetEntry& entry) = 0;
  // A connect attempt failed on every address, or a protocol check did not pass
  // (entry.target->last_error() says why). Unless the policy retries or drops the entry, it
  // stays in the set without a descriptor.
  virtual void on_attempt_failed(TargetEntry& entry) = 0;
  // The target failed for good: a pid target's process exited or closed the descriptor
  // (entry.target->last_error() says which). The entry is no longer armed; the policy reports
  // it and drops it.
  virtual void on_failed(TargetEntry& entry) = 0;
  // SIGINT, SIGTERM or SIGHUP asked to stop; the timeout passed. Both return the exit code.
  virtual int on_signal(int number) = 0;
  virtual int on_timeout() = 0;
  // A timer of the policy's own (watch's recheck): the loop wakes by then and calls
  // before_select(), which returns true to make that select() a non-blocking poll.
  virtual std::optional<Clock::time_point> next_timer() const { return std::nullopt; }
  virtual bool before_select(Clock::time_point now) {
    (void)now;
    return false;
  }
  virtual void after_select() {}
  // The path of a followed entry (TargetSet::follow()) may have changed: once when run()
  // starts, then after each notice or, where the OS gives none, every path_interval.
  virtual void on_path_changed(TargetEntry& entry) { (void)entry; }
};

struct TargetSetOptions {
  std::vector<std::string> targets;         // as given on the command line
  Events events = 0;                        // -e; 0: each target's default
  std::string selector;                     // -s
  std::optional<Duration> timeout;          // none: no limit (see time_limit())
  std::optional<Duration> connect_timeout;  // per address of a connect attempt; none: the OS's
  HttpOptions http;                         // what HTTP checks send and expect
  // How often a watched path is looked at where the OS gives no notices of its changes (-i).
  Duration path_interval = std::chrono::milliseconds(500);
  // wait --invert-check: file: targets are ready once nothing exists at their path.
  bool paths_until_gone = false;
  bool verbose = false;
};

class TargetSet {
 public:
  // Opens every target (inherited descriptors first, so that a number that is not open is
  // refused before seltool's own descriptors can take it), creates the selector and registers
  // every target that is not a connect. Everything refused because of the input is a
  // UsageError here, before the command writes anything.
  explicit TargetSet(TargetSetOptions options);
  ~TargetSet();
  TargetSet(const TargetSet&) = delete;
  TargetSet& operator=(const TargetSet&) = delete;

  const TargetSetOptions& options() const { return options_; }
  Selector& selector() { return *selector_; }
  std::list<TargetEntry>& entries() { return entries_; }
  bool empty() const { return entries_.empty(); }

  // Starts the connects, then loops until the policy says it is finished, a stop signal comes
  // or the timeout passes, and returns the exit code the policy gives.
  int run(TargetPolicy& policy);

  // Makes the selector watch `events` of `entry` (0: not at all).
  void arm(TargetEntry& entry, Events events);
  // Stops watching `entry` and removes it from the set.
  void drop(TargetEntry& entry);
  // Starts a new attempt (connect, HTTP check) after `delay`.
  void retry_after(TargetEntry& entry, Duration delay);
  // Closes the socket of a connected target and keeps `why` as its last error (wait
  // --invert-check: the target is still there).
  void disconnect(TargetEntry& entry, ErrorInfo why);
  // Opens a FIFO target again for its next writer and re-arms it. False when that failed:
  // last_error() says why and the entry is no longer armed.
  bool reopen(TargetEntry& entry);
  // Follows `entry`, a path target (watch --follow): it is no longer armed, and its path is
  // watched instead; each change goes to TargetPolicy::on_path_changed().
  void follow(TargetEntry& entry);
  // With -v: "target 'X' (fd N): epoll reported read,hangup" on stderr.
  void report_backend(const TargetEntry& entry, Events ready, Conditions conditions) const;

 private:
  void start_attempt(TargetEntry& entry);
  void after_connect_step(TargetEntry& entry, Target::Connect state);
  void connect_finished(TargetEntry& entry, Events ready, Conditions conditions);
  void check_finished(TargetEntry& entry, bool passed);
  // The checks of the entries of spec.kind, made when the first needs them.
  ProtocolChecks& checks_for(const TargetSpec& spec);
  void expire_attempts_and_retry(Clock::time_point now);
  // Ends the pid targets whose process exited or closed the descriptor (on_failed).
  void check_owners();
  // Ends `entry` (on_failed) when it is a pid target whose process exited or closed the
  // descriptor; false otherwise.
  bool end_if_owner_gone(TargetEntry& entry);
  // Watches the path of `entry` (PathChange, or a look every path_interval), or stops.
  void watch_path(TargetEntry& entry);
  void unwatch_path(TargetEntry& entry);
  // The path of a watched entry may have changed: an absent one is opened and armed once it
  // appears, one waited for to go is ready once gone (on_attempt_failed, as for a connect
  // under --invert-check), a followed one goes to the policy.
  void path_changed(TargetEntry& entry);
  NextWake next_wake(std::optional<Clock::time_point> deadline) const;
  // Whether an entry armed for reading is a regular file read to its end (see run()).
  bool any_file_at_its_end() const;

  const TargetSetOptions options_;
  std::unique_ptr<Selector> selector_;
  // Per kind of checked target there is (kHttp, kPostgres, kRedis); before selector_ goes.
  std::map<TargetKind, std::unique_ptr<ProtocolChecks>> checks_;
  std::list<TargetEntry> entries_;  // stable: selector keys hold pointers to their entry
  // Installed before the command writes its first line, so that a signal is never lost.
  std::unique_ptr<StopSignals> stop_;
  TargetPolicy* policy_ = nullptr;  // during run()
  // When pid targets are checked next for a descriptor their process closed (no event says so).
  std::optional<Clock::time_point> owner_check_at_;
};

}  // namespace seltool::cli
