// seltool wait: block until every target (or, with --any, one) is ready, then exit 0 or exec
// the COMMAND given after "--". Connects that fail (refused, unreachable, timed out, a name
// that does not resolve yet) are retried every --interval until the timeout.
#include <errno.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <list>
#include <memory>

#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/exit_codes.h"
#include "cli/help_model.h"
#include "cli/json_lines.h"
#include "cli/observation.h"
#include "cli/selector_option.h"
#include "cli/stop_signals.h"
#include "cli/targets.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Duration kDefaultTimeout = std::chrono::seconds(30);
constexpr Duration kDefaultInterval = std::chrono::milliseconds(500);

struct WaitOptions {
  CommonOptions common;
  bool any = false;
  std::optional<Duration> interval;
  std::vector<std::string> command;
};

// One target not ready yet.
struct Pending {
  std::unique_ptr<Target> target;
  std::list<Pending>::iterator self;
  bool connecting = false;
  int attempts = 0;
  std::optional<Clock::time_point> retry_at;  // a failed connect waiting for its next attempt
};

class Wait {
 public:
  Wait(const WaitOptions& options, std::vector<std::unique_ptr<Target>> targets,
       std::unique_ptr<Selector> selector)
      : options_(options),
        interval_(options.interval.value_or(kDefaultInterval)),
        output_(options.common.quiet),
        selector_(std::move(selector)) {
    for (auto& target : targets) {
      pending_.emplace_back();
      pending_.back().target = std::move(target);
      pending_.back().self = std::prev(pending_.end());
    }
    // Registered before the first line: what the backend refuses is still a usage error.
    for (Pending& p : pending_) {
      if (!p.target->spec().connects()) {
        register_target(*selector_, *p.target, p.target->interest(), &p);
      }
    }
  }

  // kExitOk when the condition is met, kExitTimeout when the timeout passed first; after
  // SIGINT/SIGTERM stopped_by() names the signal.
  int run() {
    const StopSignals stop(*selector_);
    Json targets = Json::array();
    for (const Pending& p : pending_) targets.push_back(p.target->spec().text);
    output_.event("start", Json{{"command", "wait"},
                                {"selector", std::string(selector_->name())},
                                {"mode", options_.any ? "any" : "all"},
                                {"targets", std::move(targets)}});
    const Duration timeout = options_.common.timeout.value_or(kDefaultTimeout);
    std::optional<Clock::time_point> deadline;
    if (timeout > Duration::zero() && timeout < Selector::max_timeout) {
      deadline = Clock::now() + timeout;
    }
    for (auto it = pending_.begin(); it != pending_.end();) {
      Pending& p = *it++;  // advanced first: an immediate failure may be retried, never erased
      if (p.target->spec().connects()) attempt(p);
    }

    for (;;) {
      if (done()) return kExitOk;
      if (stop.requested()) {
        stopped_by_ = stop.last();
        return kExitFailed;
      }
      Clock::time_point now = Clock::now();
      if (deadline && now >= *deadline) return timed_out();
      std::optional<Clock::time_point> wake = deadline;
      for (const Pending& p : pending_) {
        if (p.retry_at && (!wake || *p.retry_at < *wake)) wake = p.retry_at;
      }
      const ReadyList ready =
          wake ? selector_->select(std::max(*wake - now, Clock::duration{})) : selector_->select();
      for (const Ready& entry : ready) {
        handle(*std::any_cast<Pending*>(entry.key.data), entry.events, entry.conditions);
        if (done()) return kExitOk;
      }
      now = Clock::now();
      for (Pending& p : pending_) {
        if (p.retry_at && *p.retry_at <= now) attempt(p);
      }
    }
  }

  int stopped_by() const { return stopped_by_; }

 private:
  bool done() const { return pending_.empty() || (options_.any && ready_count_ > 0); }

  void attempt(Pending& p) {
    p.retry_at.reset();
    ++p.attempts;
    p.connecting = true;
    after_connect_step(p, p.target->begin_connect());
  }

  void handle(Pending& p, Events ready, Conditions conditions) {
    if (options_.common.verbose) {
      print_diagnostic("target '" + p.target->spec().text + "' (fd " +
                       std::to_string(p.target->fd()) + "): " + std::string(selector_->name()) +
                       " reported " + describe_backend_report(ready, conditions));
    }
    selector_->unregister(p.target->fd());
    if (p.connecting) return after_connect_step(p, p.target->connect_writable());
    Json fields = p.target->fields();
    observe(*p.target, ready, ConsumeMode::kPeek).add_fields(fields);
    output_.event("ready", fields);
    ++ready_count_;
    pending_.erase(p.self);
  }

  void after_connect_step(Pending& p, Target::Connect state) {
    switch (state) {
      case Target::Connect::kInProgress:
        register_target(*selector_, *p.target, EVENT_WRITE, &p);
        return;
      case Target::Connect::kConnected:
        // Now wait for what was asked: writable (connected) is reported at the next select().
        p.connecting = false;
        register_target(*selector_, *p.target, p.target->interest(), &p);
        return;
      case Target::Connect::kFailed: {
        Json fields = p.target->fields();
        fields["attempt"] = p.attempts;
        fields["error"] = p.target->last_error();
        fields["retry_in"] = std::chrono::duration<double>(interval_).count();
        output_.event("attempt_failed", fields);
        p.retry_at = Clock::now() + interval_;
        return;
      }
    }
  }

  int timed_out() {
    Json targets = Json::array();
    for (const Pending& p : pending_) targets.push_back(p.target->spec().text);
    output_.event("timeout", Json{{"pending", std::move(targets)}});
    return kExitTimeout;
  }

  const WaitOptions& options_;
  const Duration interval_;
  const JsonLines output_;
  std::unique_ptr<Selector> selector_;
  std::list<Pending> pending_;  // stable: selector keys hold pointers to their entry
  int ready_count_ = 0;
  int stopped_by_ = 0;  // the signal that ended run(), 0 if none
};

// Replaces seltool with `command`; returns only when that fails (126, or 127: not found).
int exec_command(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  const int errnum = errno;
  print_diagnostic("cannot run '" + command[0] + "': " + std::strerror(errnum));
  return errnum == ENOENT || errnum == ENOTDIR ? kExitNotFound : kExitCannotExec;
}

int run_wait(const WaitOptions& options) {
  if (options.interval && *options.interval <= Duration::zero()) {
    throw UsageError("invalid --interval: expected a duration above 0 (e.g. 0.5, 250ms)");
  }
  int stopped_by = 0;
  {
    auto targets = open_targets(options.common.targets, parse_events(options.common.events));
    auto selector = open_selector(options.common.selector);
    if (options.common.verbose) {
      print_diagnostic("using the " + std::string(selector->name()) + " selector");
    }
    Wait wait(options, std::move(targets), std::move(selector));
    const int status = wait.run();
    stopped_by = wait.stopped_by();
    if (!stopped_by && (status != kExitOk || options.command.empty())) return status;
  }  // every descriptor seltool opened is closed (and unix-listen paths removed) before exec
  // SIGINT/SIGTERM keep their default effect, once the unix-listen paths are removed.
  if (stopped_by) die_of_signal(stopped_by);
  return exec_command(options.command);
}

}  // namespace

void add_wait_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<WaitOptions>();
  CLI::App* command = app.add_subcommand(
      "wait", "Block until TARGETs are ready, then exit 0 or run '-- COMMAND [ARG...]'");
  command->footer(
      "Default timeout 30s (-t 0: wait forever). Failed connects are retried every --interval\n"
      "and reported as \"attempt_failed\". After a timeout (exit 124) COMMAND is not run.\n"
      "Example: seltool wait -q -t 60 db:5432 -- ./start-app");
  document_runs_command(*command);
  document_exit_codes(
      *command,
      {{kExitOk,
        "every target is ready (--any: one); with -- COMMAND, COMMAND replaces seltool and "
        "its exit status is the result"},
       {kExitUsage,
        "usage error: bad option, target or duration, descriptor not open, port in use"},
       {kExitTimeout, "the timeout passed first (COMMAND is not run)"},
       {kExitInternal, "seltool itself failed"},
       {kExitCannotExec, "COMMAND cannot be executed"},
       {kExitNotFound, "COMMAND was not found"},
       {"128+N", "stopped by signal N (SIGINT, SIGTERM)"}});
  add_common_options(*command, options->common);
  command->add_flag("--any", options->any, "one ready target is enough (default: all)");
  add_duration_option(*command, "-i,--interval", options->interval,
                      "retry failed connects every DURATION (default 0.5s)");
  command->callback([options, &invocation] {
    if (invocation.has_command && invocation.command.empty()) {
      throw UsageError("'--' must be followed by a COMMAND to run");
    }
    invocation.takes_command = true;
    options->command = invocation.command;
    invocation.run = [options] { return run_wait(*options); };
  });
}

}  // namespace seltool::cli
