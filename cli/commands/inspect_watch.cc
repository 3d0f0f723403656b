// seltool inspect --watch PID: the process sampled every --interval as `inspect PID` sees it,
// and one line per change between two samples: a descriptor opened or closed (`opened`,
// `closed`), its readiness (`readiness`), a queue that grew or shrank (`queue`: unread,
// unsent, accept_queue), a thread that started, ended, went to sleep or woke (`thread`).
// Ends with a `summary` when the process exits (exit 0), at the timeout (124) or on SIGINT or
// SIGTERM (0). Each sample borrows each descriptor and closes it again before the next, as
// `inspect` does: nothing is read from them, and the process is never stopped.
#include <CLI/CLI.hpp>
#include <map>

#include "cli/base/backend_choice.h"
#include "cli/base/exit_codes.h"
#include "cli/base/timers.h"
#include "cli/base/usage_error.h"
#include "cli/commands/inspect.h"
#include "cli/os/stop_signals.h"
#include "cli/output/json_lines.h"
#include "cli/targets/event_fields.h"

namespace seltool::cli {
namespace {

constexpr Duration kDefaultInterval = std::chrono::seconds(1);

struct Sample {
  std::map<int, DescriptorSnapshot> descriptors;
  std::map<int, std::string> threads;  // tid -> state
};

Sample take_sample(const Process& process) {
  Sample sample;
  for (DescriptorSnapshot& seen : process.snapshot({})) {
    const int fd = seen.fd;
    sample.descriptors.emplace(fd, std::move(seen));
  }
  for (const ThreadState& thread : process.thread_states()) {
    sample.threads.emplace(thread.tid, thread.state);
  }
  return sample;
}

bool asleep(const std::string& state) {
  return state == "sleeping" || state == "disk_sleep" || state == "idle";
}

// The queues whose growth a person follows, by their diagnostics name.
std::vector<std::pair<const char*, std::optional<std::uint64_t>>> queues_of(
    const Diagnostics& found) {
  std::optional<std::uint64_t> accept_queue;
  if (found.accept_queue) accept_queue = *found.accept_queue;
  return {{"unread", found.unread}, {"unsent", found.unsent}, {"accept_queue", accept_queue}};
}

class Watcher {
 public:
  Watcher(const Process& process, const JsonLines& output) : process_(process), output_(output) {}

  // Writes a line for each difference from `before` to `after`; returns how many.
  long report(const Sample& before, const Sample& after) const {
    long changes = 0;
    for (const auto& [fd, was] : before.descriptors) {
      const auto now = after.descriptors.find(fd);
      if (now != after.descriptors.end() && now->second.path == was.path) continue;
      output_.event("closed", {{"target", target(fd)},
                               {"pid", process_.pid()},
                               {"fd", fd},
                               {"kind", was.kind},
                               {"path", was.path}});
      ++changes;
    }
    for (const auto& [fd, seen] : after.descriptors) {
      const auto then = before.descriptors.find(fd);
      if (then == before.descriptors.end() || then->second.path != seen.path) {
        Json fields{{"target", target(fd)}};
        fields.update(descriptor_json(process_, seen));
        output_.event("opened", fields);
        ++changes;
        continue;
      }
      changes += report_descriptor(then->second, seen);
    }
    for (const auto& [tid, state] : before.threads) {
      if (after.threads.count(tid)) continue;
      output_.event("thread", {{"pid", process_.pid()}, {"tid", tid}, {"change", "ended"}});
      ++changes;
    }
    for (const auto& [tid, state] : after.threads) {
      const auto then = before.threads.find(tid);
      const std::string was = then == before.threads.end() ? "" : then->second;
      if (was == state) continue;
      const char* change = was.empty()                     ? "started"
                           : asleep(state) && !asleep(was) ? "slept"
                           : !asleep(state) && asleep(was) ? "woke"
                                                           : "changed";
      Json fields{{"pid", process_.pid()}, {"tid", tid}, {"change", change}, {"state", state}};
      if (!was.empty()) fields["was_state"] = was;
      output_.event("thread", fields);
      ++changes;
    }
    return changes;
  }

 private:
  std::string target(int fd) const {
    return "pid:" + std::to_string(process_.pid()) + ":" + std::to_string(fd);
  }

  long report_descriptor(const DescriptorSnapshot& was, const DescriptorSnapshot& seen) const {
    long changes = 0;
    const Json common{
        {"target", target(seen.fd)}, {"pid", process_.pid()}, {"fd", seen.fd}, {"kind", seen.kind}};
    if (was.events != seen.events || was.hup != seen.hup || was.error != seen.error) {
      Json fields = common;
      fields["events"] = event_names(seen.events, seen.hup, seen.error);
      fields["was_events"] = event_names(was.events, was.hup, was.error);
      output_.event("readiness", fields);
      ++changes;
    }
    const auto before = queues_of(was.diagnostics), after = queues_of(seen.diagnostics);
    for (std::size_t i = 0; i < after.size(); ++i) {
      const std::uint64_t then = before[i].second.value_or(0), now = after[i].second.value_or(0);
      if (!after[i].second || then == now) continue;
      Json fields = common;
      fields["queue"] = after[i].first;
      fields["change"] = now > then ? "grew" : "shrank";
      fields["size"] = now;
      fields["was_size"] = then;
      output_.event("queue", fields);
      ++changes;
    }
    return changes;
  }

  const Process& process_;
  const JsonLines& output_;
};

}  // namespace

void add_watch_options(CLI::App& command, InspectOptions& options) {
  command.add_flag("--watch", options.watch,
                   "sample PID every --interval and write a line per change (a descriptor "
                   "opened or closed, readiness, a queue, a thread asleep or awake) until it "
                   "exits");
  add_duration_option(command, "-i,--interval", options.interval,
                      "--watch: time between samples (default 1s)");
  add_duration_option(command, "-t,--timeout", options.timeout,
                      "--watch: give up after DURATION (exit 124; default: no limit)");
}

int run_inspect_watch(const InspectOptions& options) {
  if (options.pid == 0) throw UsageError("--watch needs a PID");
  if (!options.descriptors.empty() || !options.events.empty() || !options.kinds.empty()) {
    throw UsageError("--watch follows every descriptor: give no FD, -e or --kind with it");
  }
  if (options.format != "json" && options.format != "text") {
    throw UsageError("invalid --format '" + options.format + "': expected json or text");
  }
  const Duration interval = options.interval.value_or(kDefaultInterval);
  if (interval <= Duration::zero()) {
    throw UsageError("invalid --interval: expected a duration above 0 (e.g. 1s, 250ms)");
  }
  const std::optional<Duration> timeout = time_limit(options.timeout);
  const std::unique_ptr<Process> process = open_process(int(options.pid));
  const JsonLines output(false,
                         options.format == "text" ? OutputFormat::kText : OutputFormat::kJson);
  const auto started = Clock::now();
  Sample last;
  try {
    last = take_sample(*process);
  } catch (const DescriptorsHidden&) {
    return run_inspect(options);  // what /proc shows, and what is missing (exit 1)
  }
  output.event("start", {{"command", "inspect"},
                         {"pid", process->pid()},
                         {"comm", process->command()},
                         {"interval", std::chrono::duration<double>(interval).count()},
                         {"descriptors", long(last.descriptors.size())},
                         {"thread_count", long(last.threads.size())}});

  const std::unique_ptr<Selector> selector = open_selector("default");
  selector->register_file(process->exit_fd(), EVENT_READ);
  const StopSignals stop(*selector);
  const Watcher watcher(*process, output);
  long samples = 1, changes = 0;
  const auto finish = [&](const char* reason, int exit_code) {
    output.event("summary", {{"reason", reason},
                             {"pid", process->pid()},
                             {"comm", process->command()},
                             {"samples", samples},
                             {"changes", changes}});
    return exit_code;
  };
  auto next_sample = started + interval;
  for (;;) {
    NextWake wake;
    wake.offer(next_sample);
    if (timeout) wake.offer(started + *timeout);
    selector->select(*wake.time_left(Clock::now()));
    const auto now = Clock::now();
    if (stop.requested()) return finish("signal", kExitOk);
    if (process->exited() || process->exiting()) return finish("exited", kExitOk);
    if (timeout && now >= started + *timeout) return finish("timeout", kExitTimeout);
    if (now < next_sample) continue;
    next_sample = now + interval;
    Sample sample;
    try {
      sample = take_sample(*process);
    } catch (const UsageError&) {  // it exited while it was sampled
      return finish("exited", kExitOk);
    }
    // An exiting process closes every descriptor at once: that is its exit, not a change.
    if (process->exited() || process->exiting()) return finish("exited", kExitOk);
    ++samples;
    changes += watcher.report(last, sample);
    last = std::move(sample);
  }
}

}  // namespace seltool::cli
