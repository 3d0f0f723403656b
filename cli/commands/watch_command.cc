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
#include <map>
#include <memory>

#include "cli/base/exit_codes.h"
#include "cli/base/number_option.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/commands/common_options.h"
#include "cli/help/help_model.h"
#include "cli/output/data_encoding.h"
#include "cli/output/json_lines.h"
#include "cli/targets/event_fields.h"
#include "cli/targets/followed_file.h"
#include "cli/targets/observation.h"
#include "cli/targets/target_set.h"

namespace seltool::cli {
namespace {

constexpr Duration kRecheckInterval = std::chrono::milliseconds(100);

struct WatchOptions {
  CommonOptions common;
  std::optional<long> count;
  bool once = false;
  bool consume = false;
  bool data = false;
  bool no_reopen = false;
  bool follow = false;
  bool from_end = false;
  std::optional<Duration> interval;
  std::string encoding = "auto";
};

// Whether `seen` tells more than `last` did: a new kind of readiness, a different byte count,
// the end of the stream or an error. Losing readiness is not news (nothing to act on), and so
// repeated readiness never floods the output.
bool is_news(const Observation& seen, const std::optional<Observation>& last) {
  if (!last || (seen.events & ~last->events) != 0) return true;
  if (seen.hup != last->hup || seen.error != last->error) return true;
  return (seen.events & EVENT_READ) != 0 && seen.bytes != last->bytes;
}

class Watch : public TargetPolicy {
 public:
  Watch(const WatchOptions& options, TargetSet& targets)
      : options_(options),
        mode_(options.data      ? ConsumeMode::kKeepData
              : options.consume ? ConsumeMode::kDiscard
                                : ConsumeMode::kPeek),
        count_(options.once ? 1 : options.count.value_or(0)),
        encoding_(parse_data_encoding(options.encoding)),
        output_(options.common.quiet, parse_output_format(options.common.format)),
        targets_(targets) {}

  int run() {
    Json listed = Json::array();
    for (const TargetEntry& entry : targets_.entries()) {
      Json fields = target_fields(*entry.target);  // listeners add "local": where to connect
      fields["events"] = event_names(entry.target->interest());
      listed.push_back(std::move(fields));
    }
    output_.event("start", Json{{"command", "watch"},
                                {"selector", std::string(targets_.selector().name())},
                                {"targets", std::move(listed)}});
    if (options_.follow) {
      for (TargetEntry& entry : targets_.entries()) {
        const Target& target = *entry.target;
        if (target.spec().kind != TargetKind::kPath) continue;
        if (!target.absent() && !target.regular_file()) continue;  // a FIFO, a device
        followed_.emplace(&entry, FollowedFile(*entry.target, options_.from_end));
        targets_.follow(entry);
      }
    }
    return targets_.run(*this);
  }

 private:
  // What watch remembers of a target between events.
  struct Seen {
    Events parked = 0;                 // reported, and left out of the selector until a recheck
    Events rechecking = 0;             // parked interests re-armed for this recheck round
    std::optional<Observation> last;   // the readiness seen last; nullopt: not ready
    std::string unfinished_character;  // --data: a UTF-8 sequence the last read cut short
  };

  bool done() const override { return count_reached() || targets_.empty(); }
  int finish() override {
    if (count_reached()) return summary("count", kExitOk);
    return failed_ ? summary("failed", kExitFailed) : summary("closed", kExitOk);
  }
  bool count_reached() const { return count_ > 0 && counted_events_ >= count_; }
  // An event that only says a stream ended (a writer closed its end, a file read to its end):
  // reported, but not counted by -n, which counts what a user acts on (data, a connection,
  // writability).
  static bool ends_only(const Observation& seen) { return seen.hup && seen.bytes.value_or(0) == 0; }

  int on_signal(int) override { return summary("signal", kExitOk); }
  int on_timeout() override { return summary("timeout", kExitTimeout); }

  void on_ready(TargetEntry& entry, Events ready, Conditions conditions) override {
    Seen& state = seen_[&entry];
    Observation seen = observe(*entry.target, ready | state.parked, mode_, options_.common.verbose);
    if (mode_ == ConsumeMode::kKeepData) keep_characters_whole(state, seen);
    state.rechecking &= ~ready;
    if (seen.consumed || is_news(seen, state.last)) {
      targets_.report_backend(entry, ready, conditions);
      Json fields = target_fields(*entry.target);
      add_observation(fields, seen, encoding_);
      output_.event("ready", fields);
      ++ready_events_;
      if (!ends_only(seen)) ++counted_events_;
    }
    state.last = seen;
    if (seen.is_final()) return end_of(entry);
    Events park = ready;
    if (mode_ != ConsumeMode::kPeek) park &= ~EVENT_READ;  // reading changes the readiness
    if (park) {
      state.parked |= park;
      targets_.arm(entry, entry.target->interest() & ~state.parked);
      if (!next_recheck_) next_recheck_ = Clock::now() + kRecheckInterval;
    }
  }

  // --follow: what the file did since the last look. Appended bytes are "ready" lines (counted
  // by -n), a truncation and a rotation lines of their own.
  void on_path_changed(TargetEntry& entry) override {
    for (FileNews& news : followed_.at(&entry).look(mode_ == ConsumeMode::kKeepData)) {
      if (count_reached()) return;
      Json fields = target_fields(*entry.target);
      if (news.kind == FileNews::Kind::kTruncated) {
        fields["size"] = news.bytes;
        output_.event("truncated", fields);
        continue;
      }
      if (news.kind == FileNews::Kind::kRotated) {
        output_.event("rotated", fields);
        continue;
      }
      Observation seen;
      seen.events = EVENT_READ;
      seen.bytes = news.bytes;
      seen.data = std::move(news.data);
      seen.consumed = true;
      if (mode_ == ConsumeMode::kKeepData) keep_characters_whole(seen_[&entry], seen);
      add_observation(fields, seen, encoding_);
      output_.event("ready", fields);
      ++ready_events_;
      ++counted_events_;
    }
  }

  // A character split across two reads stays text: its first bytes wait for the next read
  // (until the end of the stream, where they are written as they are).
  void keep_characters_whole(Seen& state, Observation& seen) const {
    seen.data.insert(0, state.unfinished_character);
    state.unfinished_character.clear();
    if (seen.hup || encoding_ == DataEncoding::kBase64) return;
    const std::size_t cut = incomplete_utf8_tail(seen.data);
    state.unfinished_character = seen.data.substr(seen.data.size() - cut);
    seen.data.resize(seen.data.size() - cut);
  }

  // With write interest the next select() reports the connection as writable.
  void on_connected(TargetEntry& entry) override {
    if (!(entry.target->interest() & EVENT_WRITE)) {
      output_.event("connected", target_fields(*entry.target));
    }
  }

  void on_attempt_failed(TargetEntry& entry) override { fail(entry); }
  void on_failed(TargetEntry& entry) override { fail(entry); }

  // One check per HTTP or database target, reported as one line: "ready" (with an HTTP
  // status), or "error".
  void on_check_passed(TargetEntry& entry) override {
    output_.event("ready", target_fields(*entry.target));
    ++ready_events_;
    ++counted_events_;
    drop(entry);
  }

  // A FIFO at its end waits for its next writer (as tail -F does), unless --no-reopen; any
  // other target at its end, or failed, is dropped.
  void end_of(TargetEntry& entry) {
    const bool at_end = !seen_[&entry].last->error;
    if (at_end && entry.target->can_reopen() && !options_.no_reopen) {
      seen_.erase(&entry);
      if (!targets_.reopen(entry)) fail(entry);
      return;
    }
    drop(entry);
  }

  void fail(TargetEntry& entry) {
    Json fields = target_fields(*entry.target);
    fields["error"] = error_json(*entry.target->last_error());
    output_.event("error", fields);
    failed_ = true;
    drop(entry);
  }

  void drop(TargetEntry& entry) {
    seen_.erase(&entry);
    targets_.drop(entry);
  }

  std::optional<Clock::time_point> next_timer() const override { return next_recheck_; }

  // Re-arms the parked interests for one non-blocking select().
  bool before_select(Clock::time_point now) override {
    if (!next_recheck_ || now < *next_recheck_) return false;
    next_recheck_.reset();
    for (auto& [entry, state] : seen_) {
      if (!state.parked) continue;
      state.rechecking = state.parked;
      state.parked = 0;
      targets_.arm(*entry, entry->target->interest());
    }
    rechecking_ = true;
    return true;
  }

  // Interests re-armed for the recheck and not reported ready are not ready any more.
  void after_select() override {
    if (!rechecking_) return;
    rechecking_ = false;
    for (auto& [entry, state] : seen_) {
      if (!state.rechecking) continue;
      if (state.last) {
        state.last->events &= ~state.rechecking;
        if (state.rechecking & EVENT_READ) state.last->bytes.reset();
        if (!state.last->events) state.last.reset();
      }
      state.rechecking = 0;
    }
  }

  int summary(const char* reason, int exit_code) {
    output_.event("summary", Json{{"reason", reason}, {"ready_events", ready_events_}});
    return exit_code;
  }

  const WatchOptions& options_;
  const ConsumeMode mode_;
  const long count_;  // 0: no limit
  const DataEncoding encoding_;
  const JsonLines output_;
  TargetSet& targets_;
  std::map<TargetEntry*, Seen> seen_;
  std::map<TargetEntry*, FollowedFile> followed_;  // --follow
  std::optional<Clock::time_point> next_recheck_;
  bool rechecking_ = false;
  long ready_events_ = 0;    // "ready" lines written
  long counted_events_ = 0;  // what -n counts: those that are not an end alone (ends_only)
  bool failed_ = false;
};

int run_watch(const WatchOptions& options) {
  if (options.consume || options.data) {
    for (const std::string& text : options.common.targets) {
      if (parse_target(text).kind != TargetKind::kPid) continue;
      throw UsageError("target " + quote_input(text) + ": " +
                       (options.data ? "--data" : "--consume") +
                       " would take data from the process it belongs to; pid targets are only "
                       "observed (\"bytes\" says what is waiting)");
    }
  }
  if (options.from_end && !options.follow) {
    throw UsageError("--from-end starts a followed file at its end: it needs --follow (-F)");
  }
  if (options.interval && *options.interval <= Duration::zero()) {
    throw UsageError("invalid --interval: expected a duration above 0 (e.g. 0.5, 250ms)");
  }
  TargetSetOptions set_options = target_set_options(options.common);
  if (options.interval) set_options.path_interval = *options.interval;
  TargetSet targets(set_options);
  return Watch(options, targets).run();
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
      {{kExitOk,
        "--count events were reported, every target ended, or SIGINT/SIGTERM/SIGHUP stopped it"},
       {kExitFailed, "a target failed (e.g. connection refused) and nothing is left to watch"},
       {kExitUsage,
        "usage error: bad option, target or duration, descriptor not open, port in use"},
       {kExitTimeout, "the timeout passed"},
       {kExitInternal, "seltool itself failed (e.g. a full disk on stdout)"},
       {"128+N", "ended by signal N, e.g. SIGTERM while stdout's reader stalled (no summary)"}});
  add_common_options(*command, options->common);
  command
      ->add_option(
          "-n,--count", options->count,
          "stop after N readiness events; an end of stream alone (a writer closing, \"hup\" with 0 "
          "bytes) is reported but not counted")
      ->type_name("N")
      ->check(whole_number(1, "a number of events"));
  command->add_flag("-1,--once", options->once, "same as --count 1");
  command->add_flag("--consume", options->consume,
                    "read and discard available data of readable stream targets, report bytes");
  command->add_flag("--data", options->data, "like --consume, and put the data into the event");
  command
      ->add_option("--encoding", options->encoding,
                   "how --data is written: auto (UTF-8 text when valid, else base64, per line), "
                   "utf-8 or base64 for the whole run")
      ->type_name("ENC")
      ->check(CLI::IsMember({"auto", "utf-8", "base64"}));
  command->add_flag("--no-reopen", options->no_reopen,
                    "end a FIFO target at its first end of stream (default: wait for the next "
                    "writer, like tail -F)");
  command->add_flag("-F,--follow", options->follow,
                    "follow regular files named by a path like tail -F: their content, then what "
                    "is appended (--data: the bytes; else the sizes), across truncation and "
                    "rotation");
  command->add_flag("--from-end", options->from_end,
                    "with --follow, start at the files' current end (like tail -n 0 -F)");
  add_duration_option(*command, "-i,--interval", options->interval,
                      "look at file: and followed targets every DURATION where the OS gives no "
                      "notices of their changes (default 0.5s)");
  command->callback(
      [options, &invocation] { invocation.run = [options] { return run_watch(*options); }; });
}

}  // namespace seltool::cli
