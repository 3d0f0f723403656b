// The load generator behind `seltool load` (docs/echo.md, "seltool load"): connections to an
// echo server, each with messages in flight, every echoed byte compared with the byte sent.
//
// A connection keeps up to `window` bytes of whole messages in flight (ping-pong: one message;
// --stream: more). Closed loop, a message starts as soon as the window allows; open loop
// (--rate), messages are scheduled at a fixed rate and a message's latency runs from its
// scheduled time, so a stalled server shows in the percentiles (wrk2's answer to coordinated
// omission). Messages started during the warm-up are not measured. A run ends after `duration`
// (messages in flight then get at most `timeout` to come back) or after `requests` measured
// messages, when every connection failed, or on a stop signal.
//
// Faults are counted, never fatal: a refused connect, a reset, an end of stream, echo bytes
// that were never sent, and a connection whose echo stops for `timeout` end that connection
// (one error each); a message whose echo differs from what was sent is a mismatch (the
// connection goes on). The first of them is kept, as one line, for the command to report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "cli/base/duration.h"
#include "cli/load/latency_histogram.h"
#include "cli/os/socket_address.h"

namespace seltool::cli {

// HOST:PORT, [V6]:PORT or unix:PATH, resolved (the first address of a name). Throws UsageError
// naming the text when it is none of them or does not resolve.
struct LoadTarget {
  std::string text;  // as the user wrote it
  SocketAddress address;
};
LoadTarget resolve_load_target(std::string_view text);

struct LoadSettings {
  LoadTarget target;
  std::string selector = "default";  // the backend each thread opens
  std::size_t threads = 1;           // each with its own selector and share of the connections
  std::size_t connections = 1;
  std::size_t message_size = 64;
  std::size_t window = 0;  // bytes in flight per connection (whole messages, at least one); 0:
                           // ping-pong, one message
  double rate = 0;         // open loop: messages per second over all connections; 0: closed loop
  std::optional<Duration> duration;       // measured time, or
  std::optional<std::uint64_t> requests;  // measured messages
  Duration warmup{};
  Duration timeout = std::chrono::seconds(2);
  std::optional<long> server_pid;  // its CPU time is read at the start and end of the measure
};

// Totals so far, handed to the progress callback about once a second.
struct LoadProgress {
  double seconds = 0;  // since the run started
  bool warming_up = false;
  std::uint64_t requests = 0;  // measured messages echoed intact
  std::uint64_t bytes = 0;
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
};

struct LoadResult {
  std::uint64_t requests = 0;  // measured messages echoed intact (exactly `requests` if given)
  std::uint64_t bytes = 0;     // their bytes (each counted once, as echoed)
  std::uint64_t warmup_requests = 0;
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  double seconds = 0;  // measured time: `duration`, else until the last measured echo
  LatencyHistogram latency;
  std::optional<double> server_cpu_seconds;
  std::string first_failure;  // "" when there was none
  bool stopped = false;       // a stop signal ended it early
};

// Runs one load (one point of a grid). `progress` runs on the calling thread.
LoadResult run_load(const LoadSettings& settings,
                    const std::function<void(const LoadProgress&)>& progress);

}  // namespace seltool::cli
