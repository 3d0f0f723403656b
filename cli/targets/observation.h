// What seltool reports when the backend says a target is ready, derived the same way for every
// backend so that `--selector select|poll|epoll` give the same lines.
//
// The backends disagree on hangup and error (select reports neither, poll and epoll report
// POLLHUP/EPOLLERR, only sometimes), so seltool ignores Ready::conditions (they are shown
// with -v) and asks the descriptor itself:
//   - "read"/"write": what the backend reported for the events asked for, except what the
//     descriptor cannot be (Target::possible(): no "write" for a pipe's read end).
//   - "bytes" (readable): the bytes available (FIONREAD), or consumed with --consume.
//   - "hup" (readable): end of stream: 0 bytes available (data still unread comes first) and
//     the descriptor at its end (Target::at_end(): a pipe's writers gone, a stream socket's
//     peer shut down, a file or terminal with nothing to read; never a datagram of 0 bytes,
//     nor a pipe whose data another reader took first: that is "read" with 0 bytes).
//   - "error" (sockets): SO_ERROR is set; the event carries the "error" object. Never for a
//     pid target: reading SO_ERROR would clear the error its owner has yet to see (its
//     "diagnostics" say "error_pending" instead).
//   - "diagnostics" (sockets and pipes of pid targets, and of every target with -v): see
//     cli/os/diagnostics.h, taken before anything is consumed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/os/diagnostics.h"
#include "cli/targets/targets.h"

namespace seltool::cli {

struct Observation {
  Events events = 0;                   // EVENT_READ / EVENT_WRITE
  bool hup = false;                    // readable at end of stream
  std::optional<int> error;            // pending socket error (errno)
  std::optional<std::uint64_t> bytes;  // readable: available, or consumed
  std::string data;                    // consumed bytes, with ConsumeMode::kKeepData
  std::string accepted_peer;           // a listener's connection accepted by --consume
  bool consumed = false;  // --consume/--data took something: bytes, a datagram, a connection
  std::optional<Diagnostics> diagnostics;

  // At its end or failed: what `watch` drops after reporting.
  bool is_final() const { return hup || error.has_value(); }
};

enum class ConsumeMode { kPeek, kDiscard, kKeepData };

// At most this many bytes are read per event with --consume (more gives more events).
inline constexpr std::size_t kConsumeLimit = 64 * 1024;

// Observes `target`, which the backend reported ready for `ready` (masked by its interest).
// kDiscard/kKeepData read what is available (never blocking, also on an inherited blocking
// descriptor: at most the FIONREAD count is read) and accept a listener's pending connection;
// a pid target is only ever peeked at, whatever `mode` says. `diagnose`: add the diagnostics
// (pid targets always have them).
Observation observe(const Target& target, Events ready, ConsumeMode mode, bool diagnose = false);

// "read,write,hangup" for -v: what the backend itself said.
std::string describe_backend_report(Events events, Conditions conditions);

}  // namespace seltool::cli
