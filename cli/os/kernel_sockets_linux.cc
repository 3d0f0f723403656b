// Linux: the kernel's socket tables (kernel_sockets_linux.h).
#include "cli/os/kernel_sockets_linux.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// The netlink message after `header` in a buffer with `left` bytes from `header` on; `left`
// becomes what remains after it (0 past the end).
nlmsghdr* next_message(nlmsghdr* header, std::size_t& left) {
  const std::size_t size = NLMSG_ALIGN(header->nlmsg_len);
  left = size < left ? left - size : 0;
  return reinterpret_cast<nlmsghdr*>(reinterpret_cast<char*>(header) + size);
}

// The RTT of the INET_DIAG_INFO attribute after the inet_diag_msg of `header`, if it has one.
void add_tcp_info(const nlmsghdr* header, KernelSocket& socket) {
  const std::size_t start = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(inet_diag_msg)));
  const char* at = reinterpret_cast<const char*>(header) + start;
  std::size_t left = header->nlmsg_len > start ? header->nlmsg_len - start : 0;
  while (left >= sizeof(rtattr)) {
    const auto* attribute = reinterpret_cast<const rtattr*>(at);
    if (attribute->rta_len < sizeof(rtattr) || attribute->rta_len > left) return;
    if (attribute->rta_type == INET_DIAG_INFO) {
      tcp_info info{};  // a kernel older or newer than these headers: its common prefix
      std::memcpy(&info, RTA_DATA(attribute),
                  std::min(sizeof info, std::size_t(attribute->rta_len - RTA_LENGTH(0))));
      socket.has_tcp_info = true;
      socket.rtt_us = info.tcpi_rtt;
      socket.rttvar_us = info.tcpi_rttvar;
      return;
    }
    const std::size_t size = RTA_ALIGN(attribute->rta_len);
    if (size >= left) return;
    at += size;
    left -= size;
  }
}

// The sockets of one family and protocol from sock_diag; false when the kernel cannot dump
// them (no inet_diag, or no udp_diag module): then /proc/net has them.
bool dump_sock_diag(int family, int protocol, bool with_tcp_info,
                    std::vector<KernelSocket>& found) {
  UniqueFd netlink(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!netlink) return false;
  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof message;
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.request.sdiag_family = std::uint8_t(family);
  message.request.sdiag_protocol = std::uint8_t(protocol);
  message.request.idiag_states = ~0u;
  if (with_tcp_info && protocol == IPPROTO_TCP)
    message.request.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(netlink.get(), &message, sizeof message, 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) != ssize_t(sizeof message)) {
    return false;
  }
  std::vector<KernelSocket> sockets;
  alignas(nlmsghdr) static char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(netlink.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    // NLMSG_OK and NLMSG_NEXT compare the kernel's unsigned lengths with an int: written out.
    std::size_t left = std::size_t(n);
    for (auto* header = reinterpret_cast<nlmsghdr*>(buffer);
         left >= sizeof(nlmsghdr) && header->nlmsg_len >= sizeof(nlmsghdr) &&
         header->nlmsg_len <= left;
         header = next_message(header, left)) {
      if (header->nlmsg_type == NLMSG_DONE) {
        found.insert(found.end(), sockets.begin(), sockets.end());
        return true;
      }
      if (header->nlmsg_type == NLMSG_ERROR) return false;
      const auto* diag = static_cast<const inet_diag_msg*>(NLMSG_DATA(header));
      KernelSocket socket;
      socket.family = diag->idiag_family;
      socket.protocol = protocol;
      std::memcpy(socket.local, diag->id.idiag_src, 16);
      std::memcpy(socket.peer, diag->id.idiag_dst, 16);
      socket.local_port = ntohs(diag->id.idiag_sport);
      socket.peer_port = ntohs(diag->id.idiag_dport);
      socket.state = diag->idiag_state;
      socket.inode = diag->idiag_inode;
      socket.uid = diag->idiag_uid;
      add_tcp_info(header, socket);
      socket.receive_queue = diag->idiag_rqueue;
      socket.send_queue = diag->idiag_wqueue;
      sockets.push_back(socket);
    }
  }
}

// "0100007F:1F90" (32-bit words in host order, then the port in hex) into bytes and port.
void parse_proc_address(const std::string& text, int family, unsigned char* address, int& port) {
  const std::size_t colon = text.find(':');
  const std::string hex = text.substr(0, colon);
  port = int(std::strtol(text.c_str() + colon + 1, nullptr, 16));
  const int words = family == AF_INET ? 1 : 4;
  for (int i = 0; i < words && std::size_t(i * 8 + 8) <= hex.size(); ++i) {
    const std::uint32_t word =
        std::uint32_t(std::strtoul(hex.substr(i * 8, 8).c_str(), nullptr, 16));
    std::memcpy(address + 4 * i, &word, 4);
  }
}

// The same table from /proc/net/PROTOCOL (tcp, tcp6, udp, udp6).
void read_proc_net(int family, int protocol, std::vector<KernelSocket>& found) {
  const std::string name =
      std::string(protocol == IPPROTO_TCP ? "tcp" : "udp") + (family == AF_INET6 ? "6" : "");
  std::ifstream table("/proc/net/" + name);
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, peer, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> slot >> local >> peer >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode)) {
      continue;
    }
    KernelSocket socket;
    socket.family = family;
    socket.protocol = protocol;
    parse_proc_address(local, family, socket.local, socket.local_port);
    parse_proc_address(peer, family, socket.peer, socket.peer_port);
    socket.state = int(std::strtol(state.c_str(), nullptr, 16));
    socket.send_queue = std::uint32_t(std::strtoul(queues.c_str(), nullptr, 16));
    socket.receive_queue =
        std::uint32_t(std::strtoul(queues.c_str() + queues.find(':') + 1, nullptr, 16));
    socket.uid = std::uint32_t(std::strtoul(uid.c_str(), nullptr, 10));
    socket.inode = std::strtoull(inode.c_str(), nullptr, 10);
    found.push_back(socket);
  }
}

}  // namespace

std::vector<KernelSocket> inet_sockets(bool with_tcp_info) {
  std::vector<KernelSocket> table;
  for (int family : {AF_INET, AF_INET6}) {
    for (int protocol : {IPPROTO_TCP, IPPROTO_UDP}) {
      if (!dump_sock_diag(family, protocol, with_tcp_info, table)) {
        read_proc_net(family, protocol, table);
      }
    }
  }
  return table;
}

const char* tcp_state_name(int state) {
  static const char* const names[] = {
      "",      "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return state > 0 && state < int(sizeof names / sizeof *names) ? names[state] : "UNKNOWN";
}

SocketAddress inet_address(int family, const unsigned char* bytes, int port) {
  SocketAddress address;
  if (family == AF_INET) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(std::uint16_t(port));
    std::memcpy(&v4->sin_addr, bytes, 4);
    address.length = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(std::uint16_t(port));
    std::memcpy(&v6->sin6_addr, bytes, 16);
    address.length = sizeof *v6;
  }
  return address;
}

std::unordered_map<std::uint64_t, UnixSocket> unix_sockets() {
  // "Num RefCount Protocol Flags Type St Inode Path": Type in hex, the path (abstract ones with
  // '@') only for bound sockets.
  std::unordered_map<std::uint64_t, UnixSocket> found;
  std::ifstream table("/proc/net/unix");
  std::string line;
  std::getline(table, line);  // the header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, references, protocol, flags, type, state;
    std::uint64_t inode = 0;
    if (!(fields >> slot >> references >> protocol >> flags >> type >> state >> inode)) continue;
    UnixSocket socket;
    socket.type = int(std::strtol(type.c_str(), nullptr, 16));
    fields >> std::ws;
    std::getline(fields, socket.path);
    if (!socket.path.empty() && socket.path[0] == '@') socket.path.clear();  // abstract
    found[inode] = std::move(socket);
  }
  return found;
}

}  // namespace seltool::cli
