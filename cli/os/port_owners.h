// Which processes hold the TCP and UDP sockets of a port: `seltool inspect --port`.
//
// On Linux (port_owners_linux.cc) the sockets come from the kernel's socket diagnostics
// (netlink NETLINK_SOCK_DIAG, inet_diag; /proc/net/{tcp,udp}{,6} where a protocol's module is
// missing), of seltool's network namespace; their inode numbers are matched against the
// `socket:[INODE]` links of /proc/PID/fd. A process whose descriptors seltool may not list is
// reported as hidden when it could hold one of them, never left out. Elsewhere
// (port_owners_unsupported.cc) a usage error says it is Linux only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/os/socket_address.h"

namespace seltool::cli {

struct PortSocket {
  std::string kind;         // "tcp", "tcp6", "udp", "udp6"
  std::string local;        // "127.0.0.1:8080", "[::1]:8080"
  std::string peer;         // "" when not connected
  std::string state;        // TCP: "LISTEN", "ESTABLISHED"...; UDP: "UNCONNECTED" or "CONNECTED"
  std::uint64_t inode = 0;  // 0: no descriptor holds it any more (TIME_WAIT...)
  std::uint32_t uid = 0;    // its creator's
  std::uint32_t receive_queue = 0;  // as ss shows them: Recv-Q and Send-Q
  std::uint32_t send_queue = 0;
  struct Holder {
    int pid = 0;
    int fd = -1;
  };
  std::vector<Holder> holders;  // ascending
};

// A process whose descriptors could not be listed (EACCES: another user's, without
// CAP_SYS_PTRACE), of the same user as one of the sockets, or any when some socket has no
// holder seltool could see.
struct HiddenProcess {
  int pid = 0;
  std::string command;
  std::uint32_t uid = 0;
  int errnum = 0;
};

struct PortOwners {
  std::vector<PortSocket> sockets;
  std::vector<HiddenProcess> hidden;  // ascending pid
};

// Every TCP and UDP socket, IPv4 and IPv6, whose own or peer address has port `port` (and,
// unless `hosts` is empty, one of those addresses; a socket bound to the wildcard address
// matches every host), with the processes holding it. Throws UsageError on other OSes.
PortOwners find_port_owners(int port, const std::vector<SocketAddress>& hosts);

}  // namespace seltool::cli
