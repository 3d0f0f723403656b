// Helpers of the `seltool echo` tests, on top of tests/cli/seltool_process.h (which runs the
// binary): the server's events and live resource use, and loopback clients.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "lib/unique_fd.h"
#include "tests/cli/seltool_process.h"

namespace seltool::testing {

using Clock = std::chrono::steady_clock;

// Skips events until one named `name`; nullopt on EOF or after `timeout`.
std::optional<Json> wait_for_event(SeltoolProcess& server, const std::string& name,
                                   std::chrono::milliseconds timeout = 10s);
// The port of the server's first "listening" line; -1 when none came.
int listening_port(SeltoolProcess& server);

// CPU time (user + system) a running process used so far, from /proc/PID/stat.
double cpu_seconds_of(pid_t pid);
// Resident memory of a running process, from /proc/PID/status.
long rss_kib_of(pid_t pid);

void set_nonblocking(int fd);
// Reads exactly `size` bytes unless EOF or `timeout` comes first.
std::string recv_exact(int fd, std::size_t size, std::chrono::milliseconds timeout = 10s);
// Reads until EOF (or `timeout`); `eof` tells which.
std::string recv_until_eof(int fd, std::chrono::milliseconds timeout, bool* eof);
// True when `fd` becomes readable within `timeout`.
bool readable_within(int fd, std::chrono::milliseconds timeout);
std::string random_bytes(std::size_t size, unsigned seed);

// Sends each client's payload and reads back its echo at the same time (non-blocking, poll),
// so that neither side's buffers can deadlock; returns what each client received.
std::vector<std::string> echo_concurrently(const std::vector<int>& fds,
                                           const std::vector<std::string>& payloads,
                                           std::chrono::milliseconds timeout = 60s);

}  // namespace seltool::testing
