// seltool inspect --port [HOST:]PORT: every TCP and UDP socket bound or connected to the port
// (listeners, and both ends of a connection where both are here), a `socket` line each, then
// every process holding one inspected as `inspect PID` does, and the processes seltool may not
// look into that could hold one (`not_inspected`), never left out. The `ss -p` / `lsof -i`
// habit, through the kernel's socket diagnostics (cli/os/port_owners.h).
#include <CLI/CLI.hpp>
#include <set>

#include "cli/base/exit_codes.h"
#include "cli/base/usage_error.h"
#include "cli/commands/inspect.h"
#include "cli/os/port_owners.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

struct PortArgument {
  int port = 0;
  std::vector<SocketAddress> hosts;  // empty: any
  std::string host;
};

PortArgument parse_port(const std::string& text) {
  const std::string argument = "--port " + text;
  HostPort endpoint =
      text.find(':') == std::string::npos ? HostPort{"", text} : split_host_port(text, argument);
  PortArgument parsed;
  const std::string& port = endpoint.port;
  if (port.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos || std::stoi(port) < 1 ||
      std::stoi(port) > 65535) {
    throw UsageError("invalid " + quote_input(argument) +
                     ": expected PORT or HOST:PORT with a port from 1 to 65535");
  }
  parsed.port = std::stoi(port);
  parsed.host = endpoint.host;
  if (!endpoint.host.empty()) {
    Resolution resolved = resolve_tcp(endpoint, false);
    if (resolved.addresses.empty()) {
      throw UsageError("invalid " + quote_input(argument) + ": " + resolved.error);
    }
    parsed.hosts = std::move(resolved.addresses);
  }
  return parsed;
}

Json socket_json(const PortSocket& socket) {
  Json holders = Json::array();
  for (const PortSocket::Holder& holder : socket.holders) {
    holders.push_back(
        {{"pid", holder.pid},
         {"fd", holder.fd},
         {"target", "pid:" + std::to_string(holder.pid) + ":" + std::to_string(holder.fd)}});
  }
  Json fields{{"kind", socket.kind}, {"local", socket.local}};
  if (!socket.peer.empty()) fields["peer"] = socket.peer;
  fields["state"] = socket.state;
  fields["receive_queue"] = socket.receive_queue;
  fields["send_queue"] = socket.send_queue;
  fields["uid"] = socket.uid;
  fields["inode"] = socket.inode;
  fields["holders"] = holders;
  return fields;
}

}  // namespace

void add_port_option(CLI::App& command, InspectOptions& options) {
  command
      .add_option("--port", options.port,
                  "every process holding a TCP or UDP socket bound or connected to PORT (or "
                  "HOST:PORT), each inspected")
      ->type_name("PORT");
}

int run_inspect_port(const InspectOptions& options) {
  if (options.pid != 0 || !options.descriptors.empty() || options.watch) {
    throw UsageError("--port finds the processes itself: give no PID, FD or --watch with it");
  }
  const PortArgument port = parse_port(options.port);
  const PortOwners owners = find_port_owners(port.port, port.hosts);
  const JsonLines output(false,
                         options.format == "text" ? OutputFormat::kText : OutputFormat::kJson);
  std::set<int> pids;
  for (const PortSocket& socket : owners.sockets) {
    output.event("socket", socket_json(socket));
    for (const PortSocket::Holder& holder : socket.holders) pids.insert(holder.pid);
  }

  int exit_code = kExitOk;
  Json inspected = Json::array(), not_inspected = Json::array();
  std::string why_not;
  for (int pid : pids) {
    InspectOptions one = options;
    one.port.clear();
    one.pid = pid;
    try {
      exit_code = std::max(exit_code, run_inspect(one));
      inspected.push_back(pid);
    } catch (const UsageError& error) {  // exited since its descriptors were listed
      output.event("not_inspected", {{"pid", pid}, {"error", {{"message", error.what()}}}});
      not_inspected.push_back(pid);
    }
  }
  for (const HiddenProcess& process : owners.hidden) {
    // Only its owner and what /proc shows to all: the message says what is missing.
    std::string message;
    try {
      message = open_process(process.pid)->advice(-1, process.errnum);
    } catch (const UsageError& error) {  // exited meanwhile
      message = error.what();
    }
    if (why_not.empty()) why_not = message;
    output.event(
        "not_inspected",
        {{"pid", process.pid},
         {"comm", process.command},
         {"uid", process.uid},
         {"error", error_json(ErrorInfo{process.errnum, errno_name(process.errnum), message})}});
    not_inspected.push_back(process.pid);
  }
  Json summary{{"port", port.port}};
  if (!port.host.empty()) summary["host"] = port.host;
  summary["sockets"] = owners.sockets.size();
  summary["inspected"] = inspected;
  summary["not_inspected"] = not_inspected;
  output.event("port_summary", summary);

  if (owners.sockets.empty()) {
    print_diagnostic("no TCP or UDP socket is bound or connected to " +
                     (port.host.empty() ? "port " + std::to_string(port.port) : options.port) +
                     " (in seltool's network namespace)");
    return kExitFailed;
  }
  if (!owners.hidden.empty()) {
    print_diagnostic(
        std::to_string(owners.hidden.size()) +
        " process(es) that may hold a socket of the port could not be inspected: " + why_not);
    return kExitFailed;
  }
  return not_inspected.empty() ? exit_code : kExitFailed;
}

}  // namespace seltool::cli
