#include "cli/targets/observation.h"

#include <errno.h>

#include <algorithm>

#include "cli/os/socket_address.h"
#include "cli/os/socket_ops.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// SO_ERROR of a socket (reading it clears it), nullopt when none is pending.
std::optional<int> pending_socket_error(int fd) {
  const int error = take_socket_error(fd);
  if (error == 0) return std::nullopt;
  return error;
}

// Reads at most `available` (or kConsumeLimit when unknown) bytes with one read(); a datagram
// socket's next datagram, also one of 0 bytes (read with room for one byte: a read of 0 bytes
// would leave it queued).
void consume(const Target& target, Observation& seen, ConsumeMode mode) {
  std::string buffer(
      seen.bytes ? std::clamp<std::uint64_t>(*seen.bytes, 1, kConsumeLimit) : kConsumeLimit, '\0');
  std::ptrdiff_t n;
  do {
    n = read_some(target.fd(), buffer.data(), buffer.size());
  } while (n == -1 && errno == EINTR);
  if (n >= 0) {
    seen.bytes = std::uint64_t(n);
    seen.consumed = true;
    if (n == 0) seen.hup = !target.reads_records();  // a stream's end, or a datagram of 0 bytes
    if (mode == ConsumeMode::kKeepData) seen.data.assign(buffer.data(), std::size_t(n));
  } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
    seen.bytes = 0;  // another reader took the data first
  } else {
    seen.error = errno;
  }
}

}  // namespace

Observation observe(const Target& target, Events ready, ConsumeMode mode, bool diagnose) {
  Observation seen;
  seen.events = ready & target.possible();
  const int fd = target.fd();
  const bool borrowed = target.process() != nullptr;
  if (borrowed) mode = ConsumeMode::kPeek;  // never take data from the observed program
  if (diagnose || borrowed) seen.diagnostics = cli::diagnose(fd);
  if (target.is_socket() && !borrowed) seen.error = pending_socket_error(fd);
  if (!target.is_socket() && (seen.events & EVENT_WRITE) && pipe_without_reader(fd)) {
    seen.error = EPIPE;
  }
  if (!(ready & EVENT_READ) || seen.error) return seen;

  if (target.is_listener()) {
    if (mode != ConsumeMode::kPeek) {
      UniqueFd accepted(accept_connection(fd, nullptr));
      if (accepted) seen.accepted_peer = peer_address(accepted.get());
      seen.consumed = accepted.get() >= 0;
    }
    return seen;
  }
  seen.bytes = bytes_available(fd);
  const bool none = seen.bytes == std::optional<std::uint64_t>(0);
  if (none && target.at_end()) {
    seen.hup = true;
  } else if (mode != ConsumeMode::kPeek && (!none || target.reads_records())) {
    // Nothing on a pipe or stream socket that is not at its end: another reader took the data
    // first, and a read could block (an inherited descriptor may be blocking).
    consume(target, seen, mode);
  }
  return seen;
}

std::string describe_backend_report(Events events, Conditions conditions) {
  std::string text;
  const auto add = [&text](bool present, const char* name) {
    if (!present) return;
    if (!text.empty()) text += ',';
    text += name;
  };
  add(events & EVENT_READ, "read");
  add(events & EVENT_WRITE, "write");
  add(conditions & CONDITION_HANGUP, "hangup");
  add(conditions & CONDITION_ERROR, "error");
  add(conditions & CONDITION_PRIORITY, "priority");
  return text;
}

}  // namespace seltool::cli
