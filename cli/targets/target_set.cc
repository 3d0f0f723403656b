#include "cli/targets/target_set.h"

#include <errno.h>

#include <algorithm>
#include <set>

#include "cli/base/backend_choice.h"
#include "cli/base/usage_error.h"
#include "cli/targets/observation.h"
#include "cli/targets/protocol_checks.h"

namespace seltool::cli {
namespace {

std::vector<std::unique_ptr<Target>> open_targets(const TargetSetOptions& options) {
  std::vector<TargetSpec> specs;
  for (const std::string& text : options.targets) specs.push_back(parse_target(text));
  // Inherited descriptors first: a number that is not open must be refused before a file or
  // socket seltool opens takes it. The order of the targets stays the command line's.
  std::vector<std::unique_ptr<Target>> targets(specs.size());
  for (bool inherited : {true, false}) {
    for (std::size_t i = 0; i < specs.size(); ++i) {
      if ((specs[i].kind == TargetKind::kDescriptor) != inherited) continue;
      const Events interest = options.events ? options.events : default_events(specs[i]);
      specs[i].until_gone = options.paths_until_gone && specs[i].awaited;
      targets[i] = std::make_unique<Target>(std::move(specs[i]), interest);
    }
  }
  return targets;
}

constexpr Duration kOwnerCheckInterval = std::chrono::milliseconds(250);

}  // namespace

TargetSet::TargetSet(TargetSetOptions options) : options_(std::move(options)) {
  std::vector<std::unique_ptr<Target>> targets = open_targets(options_);
  selector_ = open_selector(options_.selector);
  // Regular files and /dev/null are always ready (POSIX), also where epoll refuses them.
  selector_->accept_always_ready_files();
  stop_ = std::make_unique<StopSignals>(*selector_);
  if (options_.verbose)
    print_diagnostic("using the " + std::string(selector_->name()) + " selector");
  for (auto& target : targets) {
    entries_.emplace_back(std::move(target));
    entries_.back().self = std::prev(entries_.end());
  }
  for (TargetEntry& entry : entries_) {
    const TargetSpec& spec = entry.target->spec();
    if (spec.checked()) {
      checks_for(spec).validate(spec);
    } else if (entry.target->absent()) {
      watch_path(entry);
    } else if (!spec.attempted()) {
      arm(entry, entry.target->interest());
    }
    if (const Process* process = entry.target->process()) {
      selector_->register_file(process->exit_fd(), EVENT_READ, KeyOwner{ProcessExit{}});
      entry.watching_exit = true;
      owner_check_at_ = Clock::now() + kOwnerCheckInterval;
    }
  }
  if (options_.http.insecure) {  // every input accepted: the run goes ahead without verifying
    print_diagnostic(
        "warning: -k/--insecure: the certificates of https:// targets are not "
        "verified; anyone on the path can answer in the server's name");
  }
}

TargetSet::~TargetSet() = default;

ProtocolChecks& TargetSet::checks_for(const TargetSpec& spec) {
  std::unique_ptr<ProtocolChecks>& checks = checks_[spec.kind];
  if (!checks) {
    const auto make = spec.kind == TargetKind::kPostgres ? make_postgres_checks
                      : spec.kind == TargetKind::kRedis  ? make_redis_checks
                                                         : make_http_checks;
    checks = make(
        *selector_, CheckOptions{options_.http, options_.connect_timeout},
        [this](TargetEntry& checked, bool passed) { check_finished(checked, passed); }, spec.text);
  }
  return *checks;
}

void TargetSet::arm(TargetEntry& entry, Events events) {
  if (events == entry.armed) return;
  const Target& target = *entry.target;
  if (entry.armed == 0) {
    const auto refused = [&](const std::string& why) {
      return UsageError("target " + quote_input(target.spec().text) + ": the " +
                        std::string(selector_->name()) + " selector cannot watch descriptor " +
                        std::to_string(target.fd()) + ": " + why);
    };
    try {
      selector_->register_file(target.fd(), events, KeyOwner{&entry});
    } catch (const already_registered&) {
      throw UsageError("target " + quote_input(target.spec().text) + ": descriptor " +
                       std::to_string(target.fd()) + " is already given by another target");
    } catch (const std::invalid_argument& error) {
      throw refused(error.what());
    }
  } else if (events == 0) {
    selector_->unregister(target.fd());
  } else {
    selector_->modify(target.fd(), events, KeyOwner{&entry});
  }
  entry.armed = events;
}

void TargetSet::drop(TargetEntry& entry) {
  arm(entry, 0);
  unwatch_path(entry);
  if (entry.watching_exit) selector_->unregister(entry.target->process()->exit_fd());
  if (entry.target->spec().checked()) checks_for(entry.target->spec()).cancel(entry);
  entries_.erase(entry.self);
}

bool TargetSet::end_if_owner_gone(TargetEntry& entry) {
  std::optional<ErrorInfo> gone = entry.target->owner_gone();
  if (!gone) return false;
  arm(entry, 0);  // before the borrowed copy closes
  entry.target->abandon(std::move(*gone));
  policy_->on_failed(entry);
  return true;
}

void TargetSet::check_owners() {
  bool any_left = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    TargetEntry& entry = *it++;  // advanced first: the policy drops the entry
    if (!end_if_owner_gone(entry)) any_left |= entry.watching_exit;
  }
  if (!any_left) owner_check_at_.reset();  // no more wake-ups for them
}

void TargetSet::retry_after(TargetEntry& entry, Duration delay) {
  entry.retry_at = Clock::now() + delay;
}

void TargetSet::disconnect(TargetEntry& entry, ErrorInfo why) {
  arm(entry, 0);  // before the socket closes
  entry.target->fail(std::move(why));
}

bool TargetSet::reopen(TargetEntry& entry) {
  arm(entry, 0);  // before the descriptor closes
  if (!entry.target->reopen()) return false;
  arm(entry, entry.target->interest());
  return true;
}

void TargetSet::follow(TargetEntry& entry) {
  arm(entry, 0);
  entry.followed = true;
  if (!entry.watching_path()) watch_path(entry);
}

void TargetSet::watch_path(TargetEntry& entry) {
  entry.path_watch = open_path_watch(entry.target->spec().path);
  if (entry.path_watch) {
    selector_->register_file(entry.path_watch->fd(), EVENT_READ, KeyOwner{PathChange{&entry}});
  } else {
    entry.path_check_at = Clock::now() + options_.path_interval;
  }
}

void TargetSet::unwatch_path(TargetEntry& entry) {
  if (entry.path_watch) selector_->unregister(entry.path_watch->fd());
  entry.path_watch.reset();
  entry.path_check_at.reset();
}

void TargetSet::path_changed(TargetEntry& entry) {
  if (entry.path_watch) {
    entry.path_watch->update();
  } else {
    entry.path_check_at = Clock::now() + options_.path_interval;
  }
  if (entry.followed) return policy_->on_path_changed(entry);
  Target& target = *entry.target;
  const bool exists = path_exists(target.spec().path);
  if (target.spec().until_gone) {
    if (exists) return;
    unwatch_path(entry);
    target.fail(ErrorInfo::from_errno(ENOENT));
    return policy_->on_attempt_failed(entry);
  }
  if (!exists) return;
  if (!target.reopen()) {
    if (target.last_error()->errnum == ENOENT) return;  // gone again before it was opened
    unwatch_path(entry);
    return policy_->on_failed(entry);
  }
  unwatch_path(entry);
  arm(entry, target.interest());
}

void TargetSet::report_backend(const TargetEntry& entry, Events ready,
                               Conditions conditions) const {
  if (!options_.verbose) return;
  print_diagnostic("target " + quote_input(entry.target->spec().text) + " (fd " +
                   std::to_string(entry.target->fd()) + "): " + std::string(selector_->name()) +
                   " reported " + describe_backend_report(ready, conditions));
}

void TargetSet::start_attempt(TargetEntry& entry) {
  entry.retry_at.reset();
  ++entry.attempts;
  entry.connecting = true;
  const TargetSpec& spec = entry.target->spec();
  if (spec.checked()) return checks_for(spec).start(entry);
  after_connect_step(entry, entry.target->begin_connect());
}

void TargetSet::check_finished(TargetEntry& entry, bool passed) {
  entry.connecting = false;
  if (policy_->done()) return;  // e.g. wait --any, when another check of this round passed
  if (passed) return policy_->on_check_passed(entry);
  policy_->on_attempt_failed(entry);
}

void TargetSet::after_connect_step(TargetEntry& entry, Target::Connect state) {
  entry.attempt_deadline.reset();
  switch (state) {
    case Target::Connect::kInProgress:
      arm(entry, EVENT_WRITE);  // writable: the connect finished, one way or the other
      if (options_.connect_timeout)
        entry.attempt_deadline = Clock::now() + *options_.connect_timeout;
      return;
    case Target::Connect::kConnected:
      entry.connecting = false;
      arm(entry, entry.target->interest());  // the same registration, now for the interest
      policy_->on_connected(entry);
      return;
    case Target::Connect::kFailed:
      entry.connecting = false;
      policy_->on_attempt_failed(entry);
      return;
  }
}

void TargetSet::connect_finished(TargetEntry& entry, Events ready, Conditions conditions) {
  report_backend(entry, ready, conditions);
  const int error = entry.target->connect_error();
  if (error == 0) return after_connect_step(entry, Target::Connect::kConnected);
  arm(entry, 0);  // before the socket closes: the next address gets a new one
  after_connect_step(entry, entry.target->next_address(error));
}

void TargetSet::expire_attempts_and_retry(Clock::time_point now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    TargetEntry& entry = *it++;  // advanced first: the policy may drop the entry
    if (entry.connecting && entry.attempt_deadline && *entry.attempt_deadline <= now) {
      arm(entry, 0);
      after_connect_step(entry, entry.target->next_address(ETIMEDOUT));
    } else if (entry.retry_at && *entry.retry_at <= now) {
      start_attempt(entry);
    }
  }
}

NextWake TargetSet::next_wake(std::optional<Clock::time_point> deadline) const {
  NextWake wake;
  wake.offer(deadline);
  wake.offer(policy_->next_timer());
  wake.offer(owner_check_at_);
  for (const auto& [kind, checks] : checks_) wake.offer(checks->next_timer());
  for (const TargetEntry& entry : entries_) {
    wake.offer(entry.retry_at);
    wake.offer(entry.attempt_deadline);
    wake.offer(entry.path_check_at);
  }
  return wake;
}

bool TargetSet::any_file_at_its_end() const {
  return std::any_of(entries_.begin(), entries_.end(), [](const TargetEntry& entry) {
    return !entry.connecting && (entry.armed & EVENT_READ) && entry.target->read_to_end_of_file();
  });
}

int TargetSet::run(TargetPolicy& policy) {
  policy_ = &policy;
  std::optional<Clock::time_point> deadline;
  if (options_.timeout) deadline = Clock::now() + *options_.timeout;
  for (auto it = entries_.begin(); it != entries_.end();) {
    TargetEntry& entry = *it++;  // advanced first: a failed connect may be dropped
    if (entry.target->spec().attempted()) start_attempt(entry);
  }
  for (auto it = entries_.begin(); it != entries_.end() && !policy.done();) {
    TargetEntry& entry = *it++;  // advanced first: the policy may drop the entry
    if (entry.watching_path()) path_changed(entry);  // what happened before the watch began
  }

  bool last_look = false;
  for (;;) {
    if (policy.done()) return policy.finish();
    if (stop_->requested()) return policy.on_signal(stop_->last());
    Clock::time_point now = Clock::now();
    // At the timeout one last select() without waiting: what is ready then was ready before
    // the timeout passed (a target ready at start under `-t 1ns`).
    if (deadline && now >= *deadline) {
      if (last_look) return policy.on_timeout();
      last_look = true;
    }

    // A regular file read to its end is ready now (a read gives 0), also where the backend
    // never says so: kqueue reports a file readable only before its end (poll, select and
    // epoll's always-ready keys do at its end too). So the wait does not block, and such an
    // entry the backend left out is dispatched as readable after the backend's, once.
    bool poll_only = policy.before_select(now);
    poll_only = last_look || any_file_at_its_end() || poll_only;
    const std::optional<Duration> time_left = next_wake(deadline).time_left(now);
    const ReadyList ready = poll_only   ? selector_->select(0)
                            : time_left ? selector_->select(*time_left)
                                        : selector_->select();
    bool process_exited = false;
    std::set<const TargetEntry*> dispatched;  // compared with live entries only
    for (const Ready& item : ready) {
      const KeyOwner& owner = std::any_cast<const KeyOwner&>(item.key.data);
      if (std::holds_alternative<ProcessExit>(owner)) {
        process_exited = true;  // checked after the others: the entry may be dropped by then
        continue;
      }
      if (const PathChange* change = std::get_if<PathChange>(&owner)) {
        path_changed(*change->entry);
      } else if (ProtocolChecks* const* checks = std::get_if<ProtocolChecks*>(&owner)) {
        (*checks)->on_socket_ready(item.key.fd, item.events, item.conditions);
      } else if (TargetEntry& entry = *std::get<TargetEntry*>(owner); entry.connecting) {
        connect_finished(entry, item.events, item.conditions);
      } else if (!entry.target->process() || !end_if_owner_gone(entry)) {
        // A pid target's owner is asked first: its exit ends the pipes it wrote, and may
        // reach seltool before its pidfd does.
        dispatched.insert(&entry);
        policy.on_ready(entry, item.events, item.conditions);
      }
      if (policy.done()) break;
    }
    for (auto it = entries_.begin(); it != entries_.end() && !policy.done();) {
      TargetEntry& entry = *it++;  // advanced first: the policy may drop the entry
      if (entry.connecting || !(entry.armed & EVENT_READ) || dispatched.count(&entry) ||
          !entry.target->read_to_end_of_file()) {
        continue;
      }
      if (!entry.target->process() || !end_if_owner_gone(entry)) {
        policy.on_ready(entry, EVENT_READ, 0);
      }
    }
    policy.after_select();
    now = Clock::now();
    for (const auto& [kind, checks] : checks_) {
      if (!policy.done()) checks->on_timer(now);
    }
    if (process_exited || (owner_check_at_ && *owner_check_at_ <= now)) {
      if (owner_check_at_) owner_check_at_ = now + kOwnerCheckInterval;
      check_owners();
    }
    expire_attempts_and_retry(now);
    for (auto it = entries_.begin(); it != entries_.end() && !policy.done();) {
      TargetEntry& entry = *it++;  // advanced first: the policy may drop the entry
      if (entry.path_check_at && *entry.path_check_at <= now) path_changed(entry);
    }
  }
}

}  // namespace seltool::cli
