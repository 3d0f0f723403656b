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

#include "cli/base/exit_codes.h"
#include "cli/base/number_option.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/help/help_model.h"
#include "cli/os/process.h"
#include "cli/output/json_lines.h"
#include "cli/targets/event_fields.h"
#include "cli/targets/targets.h"

namespace seltool::cli {
namespace {

struct InspectOptions {
  long pid = 0;
  std::vector<long> descriptors;
  std::string events;
  std::string kinds;
  std::string format = "json";
};

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
  fields["events"] = event_names(seen.events, seen.hup, seen.error);
  if (!seen.diagnostics.empty()) fields["diagnostics"] = diagnostics_json(seen.diagnostics);
  return fields;
}

// The table of --format text: one row per descriptor, columns aligned.
void write_table(const Process& process, const std::vector<Json>& rows, const Json& summary) {
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
    std::vector<std::string> cells{std::to_string(row["fd"].get<int>()),
                                   row["kind"],
                                   or_dash(row.value("access", "")),
                                   or_dash(events),
                                   or_dash(row.value("local", "")),
                                   or_dash(row.value("peer", "")),
                                   details};
    for (std::string& cell : cells) cell = printable(cell);  // every column: peers name sockets
    table.push_back(std::move(cells));
  }
  std::vector<std::size_t> widths(table.front().size(), 0);
  for (const auto& line : table) {
    for (std::size_t i = 0; i < line.size(); ++i) widths[i] = std::max(widths[i], line[i].size());
  }
  std::string text;
  for (const auto& line : table) {
    std::string row;
    for (std::size_t i = 0; i < line.size(); ++i) {
      row += line[i];
      if (i + 1 < line.size()) row += std::string(widths[i] - line[i].size() + 2, ' ');
    }
    text += row.substr(0, row.find_last_not_of(' ') + 1) + "\n";
  }
  text += "process " + std::to_string(process.pid()) + " (" + printable(process.command()) +
          "): " + std::to_string(summary["descriptors"].get<long>()) + " descriptors, " +
          std::to_string(summary["listed"].get<long>()) + " listed, " +
          std::to_string(summary["inaccessible"].get<long>()) + " not accessible\n";
  write_stdout(text);
}

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
  const std::unique_ptr<Process> process = open_process(int(options.pid));
  const std::vector<int> only(options.descriptors.begin(), options.descriptors.end());
  const std::vector<DescriptorSnapshot> found = process->snapshot(only);

  std::vector<Json> rows;
  long inaccessible = 0;
  std::string why_inaccessible;
  for (const DescriptorSnapshot& seen : found) {
    if (!selected(seen, kinds, events)) continue;
    rows.push_back(descriptor_json(*process, seen));
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

  if (options.format == "text") {
    write_table(*process, rows, summary);
  } else {
    const JsonLines output;
    for (const Json& row : rows) output.event("descriptor", row);
    output.event("summary", summary);
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
  return kExitOk;
}

}  // namespace

void add_inspect_command(CLI::App& app, Invocation& invocation) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* command = app.add_subcommand(
      "inspect", "Snapshot of a running process's descriptors: kind, addresses, readiness now");
  command->footer(
      "Linux only; needs ptrace access to PID (same user, or sudo). Nothing is read from the\n"
      "process's descriptors. Exit 1 when some could not be inspected.\n"
      "Example: seltool inspect --kind tcp --format text $(pidof nginx)");
  document_exit_codes(
      *command,
      {{kExitOk, "every descriptor asked for was listed"},
       {kExitFailed, "some descriptors could not be inspected, or are not open"},
       {kExitUsage,
        "usage error: bad option or kind, no such process, no permission, not Linux 5.6+"},
       {kExitInternal, "seltool itself failed"}});
  command->add_option("PID", options->pid, "the process")
      ->required()
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
  command->callback(
      [options, &invocation] { invocation.run = [options] { return run_inspect(*options); }; });
}

}  // namespace seltool::cli
