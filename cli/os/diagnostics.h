// Why a socket or pipe is (not) ready, from queries that change nothing its owner sees: the
// "diagnostics" object of `watch`/`wait` events and `inspect` lines (fields in docs/cli.md).
//
// Nothing here reads data or clears state. In particular SO_ERROR is never read (reading it
// clears the error, and the observed program would never see it); a pending error shows as
// poll()'s POLLERR instead. Linux answers everything (diagnostics_linux.cc); elsewhere
// diagnose() finds nothing (diagnostics_unsupported.cc) and events carry no "diagnostics".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace seltool::cli {

struct Diagnostics {
  std::optional<std::uint64_t> unread;   // bytes waiting to be read (FIONREAD)
  std::optional<std::uint64_t> unsent;   // bytes not yet sent or acknowledged (SIOCOUTQ/TIOCOUTQ)
  std::optional<bool> error_pending;     // sockets: an error waits for the owner (POLLERR)
  std::optional<std::string> tcp_state;  // TCP_INFO's tcpi_state: "ESTABLISHED", "LISTEN"...
  std::optional<std::uint32_t> rtt_us;   // TCP_INFO: smoothed round-trip time and its variance
  std::optional<std::uint32_t> rttvar_us;
  std::optional<std::uint32_t> accept_queue;   // listening TCP: connections not yet accepted
  std::optional<std::uint32_t> backlog;        // listening TCP: the accept queue's limit
  std::optional<std::uint32_t> pipe_capacity;  // pipes and FIFOs (F_GETPIPE_SZ)

  bool empty() const {
    return !unread && !unsent && !error_pending && !tcp_state && !accept_queue && !pipe_capacity;
  }
};

// The diagnostics of descriptor `fd` (a socket, pipe, FIFO or terminal; empty for anything
// else or where the OS cannot tell).
Diagnostics diagnose(int fd);
// A TCP socket's figures from the kernel's socket table (sock_diag), which tell what TCP_INFO,
// SIOCOUTQ and a listener's accept queue would.
struct TcpFigures {
  int state = 0;                                    // TCP_ESTABLISHED... (linux/tcp.h numbering)
  std::uint32_t receive_queue = 0, send_queue = 0;  // a listener's: accept queue and its limit
  std::uint32_t rtt_us = 0, rttvar_us = 0;
};

// The diagnostics of TCP socket `fd` from `figures`, with only its unread bytes asked (SIOCINQ:
// the table's count includes a FIN not yet read): one system call instead of four.
Diagnostics diagnose_tcp(int fd, const TcpFigures& figures, bool error_pending);

// The same for a descriptor whose st_mode (fstat) the caller knows, and whether poll() reported
// POLLERR for it: two system calls fewer (inspect asks for thousands of descriptors).
Diagnostics diagnose(int fd, unsigned mode, bool error_pending);

}  // namespace seltool::cli
