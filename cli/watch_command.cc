// seltool watch: stream readiness events of targets as JSON Lines until interrupted, the count
// is reached, the timeout passes or no target is left.
//
// Readiness is level-triggered: a readable pipe left unread stays readable, and the backend
// says so on every select(). To report only changes without spinning, an interest that was
// reported is "parked": taken out of the selector, and re-armed every kRecheckInterval for one
// non-blocking select(). If the target is still ready the same way, nothing is written; news
// (more bytes, end of stream, an error: see is_news) is reported; not ready any more means the
// next readiness will be reported. Between rechecks seltool sleeps in select().
#include <CLI/CLI.hpp>
#include <list>
#include <memory>

#include "cli/commands.h"
#include "cli/common_options.h"
#include "cli/exit_codes.h"
#include "cli/help_model.h"
#include "cli/json_lines.h"
#include "cli/number_option.h"
#include "cli/observation.h"
#include "cli/selector_option.h"
#include "cli/stop_signals.h"
#include "cli/targets.h"
#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr Duration kRecheckInterval = std::chrono::milliseconds(100);

struct WatchOptions {
  CommonOptions common;
  std::optional<long> count;
  bool once = false;
  bool consume = false;
  bool data = false;
};

// One target being watched.
struct Watched {
  std::unique_ptr<Target> target;
  std::list<Watched>::iterator self;  // its place in the list, to drop it
  bool connecting = false;
  Events armed = 0;                 // registered with the selector now
  Events parked = 0;                // reported, and left out of the selector until a recheck
  Events rechecking = 0;            // parked interests re-armed for this recheck round
  std::optional<Observation> last;  // the readiness seen last; nullopt: not ready
};

// Whether `seen` tells more than `last` did: a new kind of readiness, a different byte count,
// the end of the stream or an error. Losing readiness is not news (nothing to act on), and so
// repeated readiness never floods the output.
bool is_news(const Observation& seen, const std::optional<Observation>& last) {
  if (!last || (seen.events & ~last->events) != 0) return true;
  if (seen.hup != last->hup || seen.error != last->error) return true;
  return (seen.events & EVENT_READ) != 0 && seen.bytes != last->bytes;
}

class Watch {
 public:
  Watch(const WatchOptions& options, std::vector<std::unique_ptr<Target>> targets,
        std::unique_ptr<Selector> selector)
      : options_(options),
        mode_(options.data      ? ConsumeMode::kKeepData
              : options.consume ? ConsumeMode::kDiscard
                                : ConsumeMode::kPeek),
        count_(options.once ? 1 : options.count.value_or(0)),
        output_(options.common.quiet),
        selector_(std::move(selector)) {
    for (auto& target : targets) {
      watched_.emplace_back();
      watched_.back().target = std::move(target);
      watched_.back().self = std::prev(watched_.end());
    }
    // Descriptors are registered before the first line: what the backend refuses is still a
    // usage error with nothing on stdout.
    for (Watched& w : watched_) {
      if (!w.target->spec().connects()) arm(w, w.target->interest());
    }
  }

  int run() {
    StopSignals stop(*selector_);
    Json targets = Json::array();
    for (const Watched& w : watched_) {
      Json fields = w.target->fields();  // listeners add "local": where to connect
      fields["events"] = event_names(w.target->interest());
      targets.push_back(std::move(fields));
    }
    output_.event("start", Json{{"command", "watch"},
                                {"selector", std::string(selector_->name())},
                                {"targets", std::move(targets)}});
    for (auto it = watched_.begin(); it != watched_.end();) {
      Watched& w = *it++;  // advanced first: a failed connect drops w
      if (w.target->spec().connects()) {
        w.connecting = true;
        after_connect_step(w, w.target->begin_connect());
      }
    }

    std::optional<Clock::time_point> deadline;
    const std::optional<Duration>& timeout = options_.common.timeout;
    if (timeout && *timeout > Duration::zero() && *timeout < Selector::max_timeout) {
      deadline = Clock::now() + *timeout;
    }
    for (;;) {
      if (count_ > 0 && ready_events_ >= count_) return finish("count", kExitOk);
      if (watched_.empty()) {
        return failed_ ? finish("failed", kExitFailed) : finish("closed", kExitOk);
      }
      if (stop.requested()) return finish("signal", kExitOk);
      const Clock::time_point now = Clock::now();
      if (deadline && now >= *deadline) return finish("timeout", kExitTimeout);

      const bool recheck = next_recheck_ && now >= *next_recheck_;
      if (recheck) start_recheck();
      std::optional<Clock::time_point> wake = deadline;
      if (next_recheck_ && (!wake || *next_recheck_ < *wake)) wake = next_recheck_;
      const ReadyList ready = recheck ? selector_->select(0)
                              : wake  ? selector_->select(*wake - now)
                                      : selector_->select();
      for (const Ready& entry : ready) {
        handle(*std::any_cast<Watched*>(entry.key.data), entry.events, entry.conditions);
        if (count_ > 0 && ready_events_ >= count_) break;
      }
      if (recheck) end_recheck();
    }
  }

 private:
  // Makes the selector watch `events` of `w` (none: unregistered).
  void arm(Watched& w, Events events) {
    if (events == w.armed) return;
    const int fd = w.target->fd();
    if (w.armed == 0) {
      register_target(*selector_, *w.target, events, &w);
    } else if (events == 0) {
      selector_->unregister(fd);
    } else {
      selector_->modify(fd, events, &w);
    }
    w.armed = events;
  }

  void handle(Watched& w, Events ready, Conditions conditions) {
    if (w.connecting) {
      report_backend(w, ready, conditions);
      arm(w, 0);  // a failed address is followed by the next on a new socket
      after_connect_step(w, w.target->connect_writable());
      return;
    }
    const Observation seen = observe(*w.target, ready | w.parked, mode_);
    w.rechecking &= ~ready;
    const bool consumed =
        (seen.bytes.value_or(0) > 0 && mode_ != ConsumeMode::kPeek) || !seen.accepted_peer.empty();
    if (consumed || is_news(seen, w.last)) {
      report_backend(w, ready, conditions);
      Json fields = w.target->fields();
      seen.add_fields(fields);
      output_.event("ready", fields);
      ++ready_events_;
    }
    w.last = seen;
    if (seen.is_final()) return drop(w);
    Events park = ready;
    if (mode_ != ConsumeMode::kPeek) park &= ~EVENT_READ;  // reading changes the readiness
    if (park) {
      w.parked |= park;
      arm(w, w.target->interest() & ~w.parked);
      if (!next_recheck_) next_recheck_ = Clock::now() + kRecheckInterval;
    }
  }

  // With -v: what the backend said, hangup/error/priority included (only with news, so that
  // rechecks do not repeat it).
  void report_backend(const Watched& w, Events ready, Conditions conditions) const {
    if (!options_.common.verbose) return;
    print_diagnostic("target '" + w.target->spec().text + "' (fd " +
                     std::to_string(w.target->fd()) + "): " + std::string(selector_->name()) +
                     " reported " + describe_backend_report(ready, conditions));
  }

  void after_connect_step(Watched& w, Target::Connect state) {
    switch (state) {
      case Target::Connect::kInProgress:
        arm(w, EVENT_WRITE);
        return;
      case Target::Connect::kConnected:
        w.connecting = false;
        // With write interest the next select() reports the connection as writable.
        if (!(w.target->interest() & EVENT_WRITE)) output_.event("connected", w.target->fields());
        arm(w, w.target->interest());
        return;
      case Target::Connect::kFailed: {
        Json fields = w.target->fields();
        fields["error"] = w.target->last_error();
        output_.event("error", fields);
        failed_ = true;
        drop(w);
        return;
      }
    }
  }

  void start_recheck() {
    next_recheck_.reset();
    for (Watched& w : watched_) {
      if (!w.parked) continue;
      w.rechecking = w.parked;
      w.parked = 0;
      arm(w, w.target->interest());
    }
  }

  // Interests re-armed for the recheck and not reported ready are not ready any more.
  void end_recheck() {
    for (Watched& w : watched_) {
      if (!w.rechecking) continue;
      if (w.last) {
        w.last->events &= ~w.rechecking;
        if (w.rechecking & EVENT_READ) w.last->bytes.reset();
        if (!w.last->events) w.last.reset();
      }
      w.rechecking = 0;
    }
  }

  void drop(Watched& w) {
    arm(w, 0);
    watched_.erase(w.self);
  }

  int finish(const char* reason, int exit_code) {
    output_.event("summary", Json{{"reason", reason}, {"ready_events", ready_events_}});
    return exit_code;
  }

  const WatchOptions& options_;
  const ConsumeMode mode_;
  const long count_;  // 0: no limit
  const JsonLines output_;
  std::unique_ptr<Selector> selector_;
  std::list<Watched> watched_;  // stable: selector keys hold pointers to their entry
  std::optional<Clock::time_point> next_recheck_;
  long ready_events_ = 0;
  bool failed_ = false;
};

int run_watch(const WatchOptions& options) {
  auto targets = open_targets(options.common.targets, parse_events(options.common.events));
  auto selector = open_selector(options.common.selector);
  if (options.common.verbose)
    print_diagnostic("using the " + std::string(selector->name()) + " selector");
  return Watch(options, std::move(targets), std::move(selector)).run();
}

}  // namespace

void add_watch_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<WatchOptions>();
  CLI::App* command =
      app.add_subcommand("watch", "Stream readiness events of TARGETs, one JSON object per line");
  command->footer(
      "Each change is reported once: new data, end of stream (\"hup\"), an error. A target at\n"
      "its end is dropped; watch ends when none is left. No default timeout; -t 0: none.\n"
      "Example: seltool watch --data 3 3<my.fifo | jq -c 'select(.event == \"ready\")'");
  document_exit_codes(
      *command,
      {{kExitOk, "--count events were reported, every target ended, or SIGINT/SIGTERM stopped it"},
       {kExitFailed, "a target failed (e.g. connection refused) and nothing is left to watch"},
       {kExitUsage,
        "usage error: bad option, target or duration, descriptor not open, port in use"},
       {kExitTimeout, "the timeout passed"},
       {kExitInternal, "seltool itself failed (e.g. stdout closed)"}});
  add_common_options(*command, options->common);
  command->add_option("-n,--count", options->count, "stop after N readiness events")
      ->type_name("N")
      ->check(whole_number(1, "a number of events"));
  command->add_flag("-1,--once", options->once, "same as --count 1");
  command->add_flag("--consume", options->consume,
                    "read and discard available data of readable stream targets, report bytes");
  command->add_flag("--data", options->data, "like --consume, and put the data into the event");
  command->callback(
      [options, &invocation] { invocation.run = [options] { return run_watch(*options); }; });
}

}  // namespace seltool::cli
