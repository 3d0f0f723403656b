// seltool inspect: a snapshot of every descriptor of a running process (Linux): its kind,
// addresses, readiness now and diagnostics, one JSON line each and a summary, or an aligned
// table with --format text. Descriptors are borrowed as for pid targets (cli/os/process.h), so
// nothing the process sees changes.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <climits>
#include <cstdio>
#include <memory>
#include <sstream>
#include <thread>
#include <utility>

#include "cli/base/duration.h"
#include "cli/base/exit_codes.h"
#include "cli/base/number_option.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/commands/inspect.h"
#include "cli/commands/inspect_findings.h"
#include "cli/help/help_model.h"
#include "cli/os/process.h"
#include "cli/output/json_lines.h"
#include "cli/output/text_lines.h"
#include "cli/targets/event_fields.h"
#include "cli/targets/targets.h"

namespace seltool::cli {
namespace {

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> words;
  std::stringstream stream(list);
  for (std::string word; std::getline(stream, word, ',');) words.push_back(word);
  return words;
}

bool kind_matches(const std::string& kind, const std::string& wanted) {
  return kind == wanted || kind == wanted + "6" || kind.rfind(wanted + "_", 0) == 0;
}

// Whether `seen` passes --kind and -e (ready now for any of the events).
bool selected(const DescriptorSnapshot& seen, const std::vector<std::string>& kinds,
              Events events) {
  if (events && !(seen.events & events)) return false;
  if (kinds.empty()) return true;
  return std::any_of(kinds.begin(), kinds.end(),
                     [&](const std::string& wanted) { return kind_matches(seen.kind, wanted); });
}

}  // namespace

Json descriptor_json(const Process& process, const DescriptorSnapshot& seen) {
  Json fields{{"pid", process.pid()},
              {"comm", process.command()},
              {"fd", seen.fd},
              {"kind", seen.kind},
              {"path", seen.path}};
  if (seen.inaccessible) {
    fields["error"] = error_json(*seen.inaccessible);
    return fields;
  }
  fields["access"] = seen.access;
  fields["nonblocking"] = seen.nonblocking;
  if (!seen.local.empty()) fields["local"] = seen.local;
  if (!seen.peer.empty()) fields["peer"] = seen.peer;
  if (!seen.proc_only) fields["events"] = event_names(seen.events, seen.hup, seen.error);
  if (!seen.diagnostics.empty()) fields["diagnostics"] = diagnostics_json(seen.diagnostics);
  return fields;
}

namespace {

// The table of --format text: one row per descriptor, columns aligned.
void write_table(const Process& process, const std::vector<Json>& rows, const Json& summary,
                 const std::string& threads_and_verdict) {
  std::vector<std::vector<std::string>> table{
      {"FD", "KIND", "ACCESS", "EVENTS", "LOCAL", "PEER", "DETAILS"}};
  for (const Json& row : rows) {
    std::string events;
    for (const Json& name : row.value("events", Json::array())) {
      events += (events.empty() ? "" : ",") + name.get<std::string>();
    }
    std::string details;
    const auto add = [&details](const std::string& item) {
      details += (details.empty() ? "" : " ") + item;
    };
    if (!row.contains("local") && !row.contains("peer")) add(row["path"]);
    const Json diagnostics = row.value("diagnostics", Json::object());
    for (const auto& [name, value] : diagnostics.items()) {
      if (value.is_boolean() && !value.get<bool>()) continue;  // error_pending=false: noise
      add(name + "=" + (value.is_string() ? value.get<std::string>() : value.dump()));
    }
    if (row.contains("error")) add("not accessible: " + row["error"]["message"].get<std::string>());
    const auto or_dash = [](const std::string& text) { return text.empty() ? "-" : text; };
    const bool unknown = !row.contains("events") && !row.contains("error");  // /proc only
    std::vector<std::string> cells{std::to_string(row["fd"].get<int>()),
                                   row["kind"],
                                   or_dash(row.value("access", "")),
                                   unknown ? "?" : or_dash(events),
                                   or_dash(row.value("local", "")),
                                   or_dash(row.value("peer", "")),
                                   details};
    for (std::string& cell : cells) cell = printable(cell);  // every column: peers name sockets
    table.push_back(std::move(cells));
  }
  std::string text = aligned_table(table);
  text += "process " + std::to_string(process.pid()) + " (" + printable(process.command()) +
          "): " + std::to_string(summary["descriptors"].get<long>()) + " descriptors, " +
          std::to_string(summary["listed"].get<long>()) + " listed, " +
          std::to_string(summary["inaccessible"].get<long>()) + " not accessible\n";
  if (summary.contains("proc_only")) {
    text += "from /proc only: " + summary["proc_only"].get<std::string>() + "\n";
  }
  write_stdout(text + threads_and_verdict);
}

}  // namespace

int run_inspect(const InspectOptions& options) {
  if (options.format != "json" && options.format != "text") {
    throw UsageError("invalid --format '" + options.format + "': expected json or text");
  }
  const Events events = parse_events(options.events);
  const std::vector<std::string> kinds = split_list(options.kinds);
  for (const std::string& kind : kinds) {
    const std::vector<std::string>& kinds = descriptor_kinds();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      std::string known;
      for (const std::string& name : kinds) known += (known.empty() ? "" : ", ") + name;
      throw UsageError("invalid --kind '" + kind + "': expected one of " + known);
    }
  }
  const auto too_large = [](long number) { return number > INT_MAX; };
  if (too_large(options.pid)) {
    throw UsageError("no process " + std::to_string(options.pid) + " (process ids are below " +
                     std::to_string(INT_MAX) + ")");
  }
  if (std::any_of(options.descriptors.begin(), options.descriptors.end(), too_large)) {
    throw UsageError("invalid FD: descriptor numbers are below " + std::to_string(INT_MAX));
  }
  const std::unique_ptr<Process> process = open_process(int(options.pid), true);
  const std::vector<int> only(options.descriptors.begin(), options.descriptors.end());
  InspectSample first;
  try {
    first = take_sample(*process, only);
  } catch (const DescriptorsHidden& hidden) {
    // Another user's process: what /proc shows to everyone, and what is missing (exit 1).
    const ProcessStatus status = process->status();
    Json summary{{"pid", process->pid()},
                 {"comm", process->command()},
                 {"uid", status.uid},
                 {"state", status.state},
                 {"thread_count", status.threads},
                 {"error", error_json(ErrorInfo{hidden.errnum(), errno_name(hidden.errnum()),
                                                hidden.what()})}};
    if (options.format == "text") {
      write_stdout("process " + std::to_string(process->pid()) + " (" +
                   printable(process->command()) + "): uid " + std::to_string(status.uid) + ", " +
                   status.state + ", " + std::to_string(status.threads) +
                   " thread(s), descriptors not accessible\n");
    } else {
      JsonLines().event("summary", summary);
    }
    print_diagnostic(hidden.what());
    return kExitFailed;
  }
  const Duration pause = options.sample.value_or(std::chrono::milliseconds(100));
  const bool two_looks = pause > Duration::zero();
  if (two_looks) std::this_thread::sleep_for(pause);
  InspectSample later;
  if (two_looks) later = take_sample(*process, only);
  const InspectSample& second = two_looks ? later : first;  // no copy of thousands of lines
  const std::vector<DescriptorSnapshot>& found = first.descriptors;
  const std::vector<Finding> findings = find_problems(*process, first, second, two_looks);

  std::vector<Json> rows;
  long inaccessible = 0;
  std::string why_inaccessible;
  for (const DescriptorSnapshot& seen : found) {
    if (!selected(seen, kinds, events)) continue;
    Json row = descriptor_json(*process, seen);
    if (seen.kind == "epoll") row["interest"] = interest_json(first, seen.fd);
    rows.push_back(std::move(row));
    if (!seen.inaccessible) continue;
    if (++inaccessible == 1) why_inaccessible = seen.inaccessible->message;
  }
  Json missing = Json::array();  // asked for by number, but not open
  for (int fd : only) {
    const auto open = [fd](const DescriptorSnapshot& seen) { return seen.fd == fd; };
    if (std::none_of(found.begin(), found.end(), open)) missing.push_back(fd);
  }
  Json summary{{"pid", process->pid()},
               {"comm", process->command()},
               {"descriptors", long(found.size())},
               {"listed", long(rows.size())},
               {"inaccessible", inaccessible}};
  if (!missing.empty()) summary["not_open"] = missing;
  if (!process->proc_only().empty()) summary["proc_only"] = process->proc_only();
  summary["threads"] = threads_json(first, second, two_looks);
  summary["findings"] = findings_json(findings);

  if (options.format == "text") {
    write_table(*process, rows, summary, threads_and_verdict_text(first, findings));
  } else {
    // Many lines at a time: one write per line would cost more than inspecting a descriptor.
    std::string lines;
    for (const Json& row : rows) {
      lines += event_line("descriptor", row);
      if (lines.size() >= 65536) write_stdout(std::exchange(lines, std::string()));
    }
    write_stdout(lines + event_line("summary", summary));
  }
  if (!missing.empty()) {
    print_diagnostic(process->advice(missing.front().get<int>(), EBADF));
    return kExitFailed;
  }
  if (inaccessible) {
    print_diagnostic(std::to_string(inaccessible) +
                     " descriptor(s) not accessible: " + why_inaccessible);
    return kExitFailed;
  }
  if (!process->proc_only().empty()) print_diagnostic("from /proc only: " + process->proc_only());
  return kExitOk;
}

void add_inspect_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Snapshot of a running process's descriptors: kind, addresses, readiness now");
  command->footer(
      "Linux only; needs ptrace access to PID (same user, or sudo). Nothing is read from the\n"
      "process's descriptors. Exit 1 when some could not be inspected.\n"
      "The summary also says what each thread waits on (call, descriptors, timeout, poll and\n"
      "select sets), epoll lines their interest list, and 'findings' what looks wrong (unwatched\n"
      "input, stale registrations, busy loops, stuck send queues), from two looks --sample apart.\n"
      "Example: seltool inspect --kind tcp --format text $(pidof nginx)\n"
      "         seltool inspect --port 8080        # every process on port 8080\n"
      "         seltool inspect --watch -i 250ms PID  # a line per change");
  document_exit_codes(
      *command,
      {{kExitOk, "every descriptor asked for was listed; --watch: the process exited"},
       {kExitFailed,
        "some descriptors or processes could not be inspected, or are not open; --port: no "
        "socket has the port"},
       {kExitUsage, "usage error: bad option or kind, no such process, not Linux"},
       {kExitTimeout, "--watch: the timeout passed"},
       {kExitInternal, "seltool itself failed"}});
  command->add_option("PID", options->pid, "the process (required unless --port)")
      ->check(whole_number(1, "a process id"));
  command->add_option("FD", options->descriptors, "only these descriptors")
      ->check(whole_number(0, "a descriptor number"));
  command
      ->add_option("-e,--events", options->events,
                   "only descriptors ready now for read, write or read,write (either)")
      ->type_name("LIST")
      ->check(documented_choices({"read", "write", "read,write"}));
  command->add_option("--kind", options->kinds, "only these kinds, e.g. tcp,unix,pipe")
      ->type_name("LIST")
      ->check(documented_choices([] { return descriptor_kinds(); }));
  command->add_option("--format", options->format, "json (JSON Lines, default) or text (a table)")
      ->type_name("FORMAT")
      ->check(documented_choices({"json", "text"}));
  add_duration_option(*command, "--sample", options->sample,
                      "time between the two looks findings compare (default 100ms; 0: one look, "
                      "without the findings that need two)");
  add_port_option(*command, *options);
  add_watch_options(*command, *options);
  command->callback([options, &invocation] {
    invocation.run = [options] {
      if (!options->port.empty()) return run_inspect_port(*options);
      if (options->watch) return run_inspect_watch(*options);
      if (options->pid == 0) throw UsageError("inspect needs a PID, or --port PORT");
      return run_inspect(*options);
    };
  });
}

}  // namespace seltool::cli
