// seltool wait: block until every target (or, with --any, one) is ready, then exit 0 or exec
// the COMMAND given after "--". Connects that fail (refused, unreachable, timed out, a name
// that does not resolve yet) and HTTP and database checks that do not pass are retried every
// --interval until the timeout. With --invert-check it is the other way round: a connect or
// check that fails makes its target ready (gone), one that succeeds is retried.
#include <errno.h>

#include <CLI/CLI.hpp>
#include <cstring>
#include <memory>
#include <sstream>

#include "cli/base/exit_codes.h"
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

struct WaitOptions {
  CommonOptions common;
  bool any = false;
  bool invert_check = false;
  std::optional<Duration> interval;
  std::vector<std::string> command;
};

std::string seconds_text(Duration duration) {
  std::ostringstream text;
  text << std::chrono::duration<double>(duration).count() << 's';
  return text.str();
}

class Wait : public TargetPolicy {
 public:
  Wait(const WaitOptions& options, TargetSet& targets)
      : options_(options),
        interval_(options.interval.value_or(kDefaultInterval)),
        // With -- COMMAND, stdout is the command's: no event lines (the failure line on
        // stderr stays, unless -q).
        output_(options.common.quiet || !options.command.empty(),
                parse_output_format(options.common.format)),
        targets_(targets) {}

  // kExitOk when the condition is met, kExitTimeout when the timeout passed first; after a stop
  // signal stopped_by() names it.
  int run() {
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
    return met() ? summary("ready", kExitOk) : summary("failed", kExitFailed);
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

  // An "attempt_failed" line, and the next attempt after --interval.
  void retry(TargetEntry& entry) {
    Json fields = target_fields(*entry.target);
    fields["attempt"] = entry.attempts;
    fields["error"] = error_json(*entry.target->last_error());
    fields["retry_in"] = std::chrono::duration<double>(interval_).count();
    output_.event("attempt_failed", fields);
    targets_.retry_after(entry, interval_);
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
    Json pending = Json::array();
    for (const TargetEntry& entry : targets_.entries())
      pending.push_back(entry.target->spec().text);
    output_.event("timeout", Json{{"pending", std::move(pending)}});
    return summary("timeout", kExitTimeout);
  }

  // The summary line, and for anything but success one line on stderr for a person.
  int summary(const char* reason, int exit_code) {
    Json pending = Json::array();
    std::string not_ready;
    for (const TargetEntry& entry : targets_.entries()) {
      Json fields{{"target", entry.target->spec().text}};
      const std::optional<ErrorInfo>& error = entry.target->last_error();
      if (error) fields["error"] = error_json(*error);
      pending.push_back(std::move(fields));
      if (!not_ready.empty()) not_ready += ", ";
      not_ready += quote_input(entry.target->spec().text) + " (" +
                   (error ? error->code + ": " + error->message : "not ready") + ")";
    }
    output_.event(
        "summary",
        Json{{"reason", reason}, {"ready_targets", ready_count_}, {"pending", std::move(pending)}});
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
  add_common_options(*command, options->common);
  command->add_flag("--any", options->any, "one ready target is enough (default: all)");
  command->add_flag("--invert-check", options->invert_check,
                    "wait until connect, HTTP and database targets stop answering (a server has "
                    "shut down, a port is free), and file: targets are removed");
  add_duration_option(*command, "-i,--interval", options->interval,
                      "retry failed connects, HTTP and database checks every DURATION, and look "
                      "at file: targets as often where the OS gives no notices (default 0.5s)");
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
