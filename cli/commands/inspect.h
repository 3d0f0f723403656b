// `seltool inspect`: the options, and its three modes, one file each: a process now
// (inspect_command.cc), the processes of a port (inspect_port.cc), a process over time
// (inspect_watch.cc).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/base/duration.h"
#include "cli/os/process.h"
#include "cli/output/format.h"

namespace CLI {
class App;
}  // namespace CLI

namespace seltool::cli {

struct InspectOptions {
  long pid = 0;
  std::vector<long> descriptors;
  std::string events;
  std::string kinds;
  std::string format = "json";
  std::string port;  // --port [HOST:]PORT: "" when not given
  bool watch = false;
  std::optional<Duration> interval;  // --watch: between samples (default 1 s)
  std::optional<Duration> timeout;   // --watch: give up after
  std::optional<Duration> sample;    // between the two looks the findings compare
};

// One process: its descriptor lines and summary (or the table), as `inspect PID` writes them;
// returns the exit code. Throws UsageError for bad options or a process that does not exist.
int run_inspect(const InspectOptions& options);
// `inspect --port`: the sockets of the port, then each process holding one, inspected.
int run_inspect_port(const InspectOptions& options);
// `inspect --watch PID`: a line for each change between samples, until the process exits.
int run_inspect_watch(const InspectOptions& options);

// Add --port (inspect_port.cc), and --watch, -i, -t (inspect_watch.cc) to `command`.
void add_port_option(CLI::App& command, InspectOptions& options);
void add_watch_options(CLI::App& command, InspectOptions& options);

// The `descriptor` line's fields of `seen`, a descriptor of `process`.
Json descriptor_json(const Process& process, const DescriptorSnapshot& seen);

}  // namespace seltool::cli
