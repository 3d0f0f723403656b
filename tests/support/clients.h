// Loopback clients of `seltool echo` (and of any echo server): random payloads, and many
// clients sending and reading back at once.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "tests/support/clock.h"

namespace seltool::testing {

// `size` bytes from a generator seeded with `seed` (the same bytes for the same seed).
std::string random_bytes(std::size_t size, unsigned seed);

// Sends each client's payload and reads back its echo at the same time (non-blocking, poll),
// so that neither side's buffers can deadlock; returns what each client received.
std::vector<std::string> echo_concurrently(const std::vector<int>& fds,
                                           const std::vector<std::string>& payloads,
                                           std::chrono::milliseconds timeout = 60s);

// Sends random bytes on the stream socket `fd` (made non-blocking) without reading until
// nothing more goes out for half a second (the server stopped reading and every buffer between
// us is full), at most 256 MiB; returns them.
std::string send_until_blocked(int fd);

}  // namespace seltool::testing
