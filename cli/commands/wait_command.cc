// seltool wait: block until every target (or, with --any, one) is ready, then exit 0 or exec
// the COMMAND given after "--". Connects that fail (refused, unreachable, timed out, a name
// that does not resolve yet) and HTTP and database checks that do not pass are retried every
// --interval until the timeout. With --invert-check it is the other way round: a connect or
// check that fails makes its target ready (gone), one that succeeds is retried.
#include <errno.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>

#include "cli/base/exit_codes.h"
#include "cli/base/timers.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/commands/common_options.h"
#include "cli/help/help_model.h"
#include "cli/os/run_command.h"
#include "cli/os/stop_signals.h"
#include "cli/output/json_lines.h"
#include "cli/targets/event_fields.h"
#include "cli/targets/observation.h"
#include "cli/targets/target_set.h"

namespace seltool::cli {
namespace {

constexpr Duration kDefaultTimeout = std::chrono::seconds(30);
constexpr Duration kDefaultInterval = std::chrono::milliseconds(500);
constexpr Duration kDefaultMaxInterval = std::chrono::seconds(10);

struct WaitOptions {
  CommonOptions common;
  bool any = false;
  bool invert_check = false;
  std::optional<Duration> interval;
  std::string backoff = "fixed";  // --backoff fixed|exponential
  std::optional<Duration> max_interval;
  std::optional<std::string> host;  // wait-for-it's -h HOST -p PORT
  std::optional<std::string> port;
  std::vector<std::string> command;
};

// wait-for-it's -h HOST -p PORT as the target HOST:PORT ([HOST]:PORT for an IPv6 address),
// added to the TARGETs.
void add_host_port_target(WaitOptions& options) {
  if (options.host.has_value() != options.port.has_value()) {
    throw UsageError(std::string(options.host ? "-h/--host HOST needs -p/--port PORT"
                                              : "-p/--port PORT needs -h/--host HOST") +
                     " (wait-for-it's form; or write the target HOST:PORT)");
  }
  if (options.host) {
    const bool v6 = options.host->find(':') != std::string::npos;
    options.common.targets.insert(
        options.common.targets.begin(),
        (v6 ? "[" + *options.host + "]" : *options.host) + ":" + *options.port);
  }
}

std::string seconds_text(Duration duration) {
  std::ostringstream text;
  text << std::chrono::duration<double>(duration).count() << 's';
  return text.str();
}

// "1.2s": tenths of a second, for a person.
std::string tenths_text(Duration duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1fs", std::chrono::duration<double>(duration).count());
  return text;
}

// The targets as a person reads them: "'a', 'b'".
std::string target_list(const std::vector<std::string>& targets) {
  std::string list;
  for (const std::string& target : targets)
    list += (list.empty() ? "" : ", ") + quote_input(target);
  return list;
}

class Wait : public TargetPolicy {
 public:
  Wait(const WaitOptions& options, TargetSet& targets)
      : options_(options),
        interval_(options.interval.value_or(kDefaultInterval)),
        max_interval_(options.max_interval.value_or(kDefaultMaxInterval)),
        // --format text (a person is reading): "waiting up to ..." and "... ready after" lines.
        progress_(options.common.format == "text" && !options.common.quiet),
        // With -- COMMAND, stdout is the command's: no event lines (the failure line on
        // stderr stays, unless -q).
        output_(options.common.quiet || !options.command.empty(),
                parse_output_format(options.common.format)),
        targets_(targets) {}

  // kExitOk when the condition is met, kExitTimeout when the timeout passed first; after a stop
  // signal stopped_by() names it.
  int run() {
    started_ = Clock::now();
    if (progress_) {
      const std::optional<Duration>& timeout = targets_.options().timeout;
      print_diagnostic(std::string("waiting ") +
                       (timeout ? "up to " + tenths_text(*timeout) : "without a time limit") +
                       " for " + target_list(targets_.options().targets) + " ...");
    }
    Json listed = Json::array();
    for (const TargetEntry& entry : targets_.entries()) {
      Json fields = target_fields(*entry.target);
      fields["events"] = event_names(entry.target->interest());
      listed.push_back(std::move(fields));
    }
    output_.event("start", Json{{"command", "wait"},
                                {"selector", std::string(targets_.selector().name())},
                                {"mode", options_.any ? "any" : "all"},
                                {"invert_check", options_.invert_check},
                                {"targets", std::move(listed)}});
    return targets_.run(*this);
  }

  int stopped_by() const { return stopped_by_; }

 private:
  // Every target ready; with --any one. A failed target (a pid target whose process exited)
  // can never be ready: without --any that ends the wait, with --any the others go on.
  bool met() const { return options_.any ? ready_count_ > 0 : failed_.empty(); }
  bool done() const override {
    return targets_.empty() || (options_.any && ready_count_ > 0) ||
           (!options_.any && !failed_.empty());
  }
  int finish() override {
    if (!met()) return summary("failed", kExitFailed);
    if (progress_) {
      print_diagnostic(target_list(targets_.options().targets) + " ready after " +
                       tenths_text(Clock::now() - started_));
    }
    return summary("ready", kExitOk);
  }

  void on_ready(TargetEntry& entry, Events ready, Conditions conditions) override {
    targets_.report_backend(entry, ready, conditions);
    Json fields = target_fields(*entry.target);
    add_observation(fields,
                    observe(*entry.target, ready, ConsumeMode::kPeek, options_.common.verbose));
    report_ready(entry, fields);
  }

  // --invert-check: a connect that succeeds means the target is still there.
  void on_connected(TargetEntry& entry) override {
    if (!options_.invert_check) return;  // ready once writable (on_ready)
    const std::string peer = entry.target->peer();
    targets_.disconnect(entry,
                        still_reachable(peer.empty() ? "connected" : "connected to " + peer));
    retry(entry);
  }

  void on_check_passed(TargetEntry& entry) override {
    if (!options_.invert_check) return report_ready(entry, target_fields(*entry.target));
    const std::optional<long>& status = entry.target->http_status();
    entry.target->fail(still_reachable(status ? "the server answered " + std::to_string(*status)
                                              : "the server answered"));
    retry(entry);
  }

  void on_attempt_failed(TargetEntry& entry) override {
    if (options_.invert_check) {  // gone: what it failed with tells how
      Json fields = target_fields(*entry.target);
      fields["error"] = error_json(*entry.target->last_error());
      return report_ready(entry, fields);
    }
    retry(entry);
  }

  static ErrorInfo still_reachable(const std::string& how) {
    return ErrorInfo{0, "STILL_REACHABLE", how};
  }

  void report_ready(TargetEntry& entry, const Json& fields) {
    output_.event("ready", fields);
    ++ready_count_;
    targets_.drop(entry);
  }

  // The wait before the attempt after attempt `attempts`: --interval, or with --backoff
  // exponential --interval doubled after each attempt, up to --max-interval.
  Duration delay_after(int attempts) const {
    if (options_.backoff != "exponential") return interval_;
    Duration delay = interval_;
    for (int i = 1; i < attempts && delay < max_interval_; ++i) delay *= 2;
    return std::min(delay, std::max(max_interval_, interval_));
  }

  // An "attempt_failed" line (with -v also one for a person on stderr), and the next attempt
  // after delay_after().
  void retry(TargetEntry& entry) {
    const Duration delay = delay_after(entry.attempts);
    const ErrorInfo& error = *entry.target->last_error();
    Json fields = target_fields(*entry.target);
    fields["attempt"] = entry.attempts;
    fields["error"] = error_json(error);
    // Whole microseconds, as every time in an event (docs/events.schema.json).
    fields["retry_in"] =
        double(std::chrono::duration_cast<std::chrono::microseconds>(delay).count()) / 1e6;
    output_.event("attempt_failed", fields);
    if (options_.common.verbose) {
      const std::optional<Duration>& timeout = targets_.options().timeout;
      const Duration left =
          timeout ? std::max(Duration::zero(), *timeout - (Clock::now() - started_)) : Duration();
      print_diagnostic(quote_input(entry.target->spec().text) + ": attempt " +
                       std::to_string(entry.attempts) + " failed: " + error.code + " (" +
                       error.message + "); next in " + tenths_text(delay) + ", " +
                       (timeout ? tenths_text(left) + " left" : "no time limit"));
    }
    targets_.retry_after(entry, delay);
  }

  void on_failed(TargetEntry& entry) override {
    Json fields = target_fields(*entry.target);
    const ErrorInfo& error = *entry.target->last_error();
    fields["error"] = error_json(error);
    output_.event("error", fields);
    if (!failed_.empty()) failed_ += ", ";
    failed_ +=
        quote_input(entry.target->spec().text) + " (" + error.code + ": " + error.message + ")";
    targets_.drop(entry);
  }

  int on_signal(int number) override {
    stopped_by_ = number;
    return summary("signal", kExitFailed);
  }

  int on_timeout() override {
    output_.event("timeout", Json{{"pending", pending_targets()}});
    return summary("timeout", kExitTimeout);
  }

  // "pending" of the timeout and summary lines (one shape in both): each target not ready,
  // with its last error where it has one.
  Json pending_targets() const {
    Json pending = Json::array();
    for (const TargetEntry& entry : targets_.entries()) {
      Json fields{{"target", entry.target->spec().text}};
      const std::optional<ErrorInfo>& error = entry.target->last_error();
      if (error) fields["error"] = error_json(*error);
      pending.push_back(std::move(fields));
    }
    return pending;
  }

  // The summary line, and for anything but success one line on stderr for a person.
  int summary(const char* reason, int exit_code) {
    std::string not_ready;
    for (const TargetEntry& entry : targets_.entries()) {
      const std::optional<ErrorInfo>& error = entry.target->last_error();
      if (!not_ready.empty()) not_ready += ", ";
      not_ready += quote_input(entry.target->spec().text) + " (" +
                   (error ? error->code + ": " + error->message : "not ready") + ")";
    }
    output_.event(
        "summary",
        Json{{"reason", reason}, {"ready_targets", ready_count_}, {"pending", pending_targets()}});
    if (exit_code != kExitOk && !options_.common.quiet) {
      const std::string why = stopped_by_ ? "stopped by signal " + std::to_string(stopped_by_)
                              : std::string(reason) == "failed"
                                  ? "failed: " + failed_
                                  : "timed out after " + seconds_text(*targets_.options().timeout);
      print_diagnostic(why +
                       (not_ready.empty()       ? ""
                        : options_.invert_check ? "; still reachable: "
                                                : "; not ready: ") +
                       not_ready);
    }
    return exit_code;
  }

  const WaitOptions& options_;
  const Duration interval_;
  const Duration max_interval_;
  const bool progress_;
  Clock::time_point started_;
  const JsonLines output_;
  TargetSet& targets_;
  int ready_count_ = 0;
  int stopped_by_ = 0;  // the signal that ended run(), 0 if none
  std::string failed_;  // the failed targets and why, for the diagnostic line
};

int run_wait(const WaitOptions& options) {
  if (options.interval && *options.interval <= Duration::zero()) {
    throw UsageError("invalid --interval: expected a duration above 0 (e.g. 0.5, 250ms)");
  }
  if (options.max_interval && *options.max_interval <= Duration::zero()) {
    throw UsageError("invalid --max-interval: expected a duration above 0 (e.g. 10s)");
  }
  if (options.max_interval && options.backoff != "exponential") {
    throw UsageError("--max-interval applies to --backoff exponential only");
  }
  int stopped_by = 0;
  {
    TargetSetOptions set_options = target_set_options(options.common, kDefaultTimeout);
    set_options.path_interval = options.interval.value_or(kDefaultInterval);
    set_options.paths_until_gone = options.invert_check;
    if (options.invert_check) {  // checked before anything is opened
      for (const std::string& text : options.common.targets) {
        const TargetSpec spec = parse_target(text);
        if (spec.attempted() || spec.awaited) continue;
        throw UsageError(
            "target " + quote_input(text) +
            ": --invert-check waits for connect, HTTP and database targets to stop "
            "answering and for file:PATH to be removed; a descriptor, bare path or "
            "listener cannot go away that way" +
            (spec.kind == TargetKind::kPath ? " (write " + quote_input("file:" + text) + ")" : ""));
      }
    }
    TargetSet targets(set_options);
    Wait wait(options, targets);
    const int status = wait.run();
    stopped_by = wait.stopped_by();
    if (!stopped_by && (status != kExitOk || options.command.empty())) return status;
  }  // every descriptor seltool opened is closed (and unix-listen paths removed) before exec
  // A stop signal keeps its default effect, once the unix-listen paths are removed.
  if (stopped_by) die_of_signal(stopped_by);
  return run_command(options.command);
}

}  // namespace

void add_wait_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<WaitOptions>();
  CLI::App* command = app.add_subcommand(
      "wait", "Block until TARGETs are ready, then exit 0 or run '-- COMMAND [ARG...]'");
  command->footer(
      "Default timeout 30s (-t 0: wait forever). Failed connects are retried every --interval\n"
      "and reported as \"attempt_failed\". After a timeout (exit 124) COMMAND is not run.\n"
      "http[s]:// targets are ready when a GET answers a status in --http-status;\n"
      "postgres:// and redis:// targets when the database answers (PING, a login).\n"
      "file:PATH and file:///PATH targets are ready once the path exists (--invert-check:\n"
      "once it is gone), seen at once where the OS tells (inotify), else every --interval.\n"
      "Example: seltool wait -q -t 60 db:5432 -- ./start-app");
  document_runs_command(*command);
  document_exit_codes(
      *command,
      {{kExitOk,
        "every target is ready (--any: one); with -- COMMAND, COMMAND replaces seltool and "
        "its exit status is the result"},
       {kExitFailed, "a pid target's process exited or closed the descriptor"},
       {kExitUsage,
        "usage error: bad option, target or duration, descriptor not open, port in use"},
       {kExitTimeout, "the timeout passed first (COMMAND is not run)"},
       {kExitInternal, "seltool itself failed"},
       {kExitCannotExec, "COMMAND cannot be executed"},
       {kExitNotFound, "COMMAND was not found"},
       {kDiedOfSignalCode, kDiedOfSignalMeaning}});
  // -h is wait-for-it's HOST here, never the help: `seltool wait -h db -p 5432 && ./app` waits.
  command->set_help_flag("--help", "Print this help message and exit");
  add_common_options(*command, options->common);
  // -h and -p stand for a TARGET: each counts as one for CLI11's "TARGET is required" (its
  // option callbacks run in the order the options were added, TARGET's first, then these);
  // add_host_port_target() makes the target of the two.
  CLI::Option* target = command->get_option("TARGET");
  command
      ->add_option_function<std::string>(
          "-h,--host",
          [options, target](const std::string& host) {
            options->host = host;
            target->add_result(host);
          },
          "with -p: wait for HOST:PORT (wait-for-it's form)")
      ->type_name("HOST");
  command
      ->add_option_function<std::string>(
          "-p,--port",
          [options, target](const std::string& port) {
            options->port = port;
            target->add_result(port);
          },
          "with -h: wait for HOST:PORT (wait-for-it's form)")
      ->type_name("PORT");
  command->add_flag("--any", options->any, "one ready target is enough (default: all)");
  command->add_flag("--invert-check", options->invert_check,
                    "wait until connect, HTTP and database targets stop answering (a server has "
                    "shut down, a port is free), and file: targets are removed");
  add_duration_option(*command, "-i,--interval", options->interval,
                      "retry failed connects, HTTP and database checks every DURATION (default "
                      "0.5s; with --backoff exponential the first wait), and look at file: "
                      "targets as often where the OS gives no notices");
  command
      ->add_option("--backoff", options->backoff,
                   "fixed (every --interval, the default) or exponential (--interval doubled "
                   "after each failed attempt, up to --max-interval)")
      ->type_name("KIND")
      ->check(CLI::IsMember({"fixed", "exponential"}));
  add_duration_option(*command, "--max-interval", options->max_interval,
                      "with --backoff exponential: the longest wait between attempts (default "
                      "10s)");
  command->callback([options, &invocation] {
    if (invocation.has_command && invocation.command.empty()) {
      throw UsageError("'--' must be followed by a COMMAND to run");
    }
    add_host_port_target(*options);
    invocation.takes_command = true;
    options->command = invocation.command;
    invocation.run = [options] { return run_wait(*options); };
  });
}

}  // namespace seltool::cli
