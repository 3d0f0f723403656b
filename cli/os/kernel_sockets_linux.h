// The kernel's tables of sockets, for `inspect --port` (port_owners_linux.cc) and `inspect`
// (process_linux.cc), Linux only: every TCP and UDP socket, IPv4 and IPv6, of seltool's network
// namespace, from netlink sock_diag (inet_diag: one dump per family and protocol) or from
// /proc/net/{tcp,udp}{,6} where the kernel lacks that protocol's diag module; and every Unix
// socket from /proc/net/unix. Each socket is known by its inode, which /proc/PID/fd/N names.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/os/socket_address.h"

namespace seltool::cli {

struct KernelSocket {
  int family = 0;                               // AF_INET or AF_INET6
  int protocol = 0;                             // IPPROTO_TCP or IPPROTO_UDP
  unsigned char local[16] = {}, peer[16] = {};  // network order, 4 bytes used for IPv4
  int local_port = 0, peer_port = 0;
  int state = 0;            // TCP_ESTABLISHED... (linux/tcp.h numbering)
  std::uint64_t inode = 0;  // 0: no descriptor holds it any more (TIME_WAIT...)
  // Recv-Q and Send-Q as ss shows them: a TCP socket's SIOCINQ (counting a FIN not yet read)
  // and SIOCOUTQ; a listener's accept queue and its limit.
  std::uint32_t uid = 0, receive_queue = 0, send_queue = 0;
  // TCP_INFO's, for a TCP socket from sock_diag when asked for (with_tcp_info).
  bool has_tcp_info = false;
  std::uint32_t rtt_us = 0, rttvar_us = 0;
};

// Every TCP and UDP socket, IPv4 and IPv6; `with_tcp_info`: each TCP socket's RTT too, where
// sock_diag answers.
std::vector<KernelSocket> inet_sockets(bool with_tcp_info = false);

// "ESTABLISHED", "LISTEN"... for KernelSocket::state.
const char* tcp_state_name(int state);

// The address `bytes` (network order) and `port` of `family` (AF_INET or AF_INET6).
SocketAddress inet_address(int family, const unsigned char* bytes, int port);

struct UnixSocket {
  int type = 0;      // SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET
  std::string path;  // the bound path, "" when unnamed or abstract (as format_address())
};

// Every Unix socket, by inode.
std::unordered_map<std::uint64_t, UnixSocket> unix_sockets();

}  // namespace seltool::cli
