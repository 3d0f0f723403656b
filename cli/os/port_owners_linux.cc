// Linux: the sockets of a port from netlink sock_diag (inet_diag: one dump per family and
// protocol), or from /proc/net/{tcp,udp}{,6} where the kernel lacks that protocol's diag
// module; their owners from the socket:[INODE] links of /proc/*/fd.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "cli/os/port_owners.h"
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

// One socket of the kernel's table, before its port is matched.
struct KernelSocket {
  int family = 0;  // AF_INET or AF_INET6
  int protocol = 0;
  unsigned char local[16] = {}, peer[16] = {};  // network order, 4 bytes used for IPv4
  int local_port = 0, peer_port = 0;
  int state = 0;  // TCP_ESTABLISHED... (linux/tcp.h numbering)
  std::uint64_t inode = 0;
  std::uint32_t uid = 0, receive_queue = 0, send_queue = 0;
};

const char* tcp_state_name(int state) {
  static const char* const names[] = {
      "",      "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
      "CLOSE", "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
  return state > 0 && state < int(sizeof names / sizeof *names) ? names[state] : "UNKNOWN";
}

// The sockets of one family and protocol from sock_diag; false when the kernel cannot dump
// them (no inet_diag, or no udp_diag module): then /proc/net has them.
bool dump_sock_diag(int family, int protocol, std::vector<KernelSocket>& found) {
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

SocketAddress address_of(int family, const unsigned char* bytes, int port) {
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

// The IPv4 address an IPv4 or IPv4-mapped IPv6 address stands for, else the IPv6 bytes: the
// key hosts are compared by. Empty for the wildcard address.
std::string host_key(int family, const unsigned char* bytes) {
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  std::string key;
  if (family == AF_INET) {
    key.assign(reinterpret_cast<const char*>(bytes), 4);
  } else if (std::memcmp(bytes, mapped, 12) == 0) {
    key.assign(reinterpret_cast<const char*>(bytes + 12), 4);
  } else {
    key.assign(reinterpret_cast<const char*>(bytes), 16);
  }
  return key.find_first_not_of('\0') == std::string::npos ? std::string() : key;
}

std::string host_key(const SocketAddress& address) {
  if (address.family() == AF_INET) {
    return host_key(AF_INET, reinterpret_cast<const unsigned char*>(
                                 &reinterpret_cast<const sockaddr_in*>(address.get())->sin_addr));
  }
  return host_key(AF_INET6, reinterpret_cast<const unsigned char*>(
                                &reinterpret_cast<const sockaddr_in6*>(address.get())->sin6_addr));
}

bool matches(const KernelSocket& socket, int port, const std::set<std::string>& hosts) {
  const auto host_matches = [&](const unsigned char* bytes, bool wildcard_matches) {
    const std::string key = host_key(socket.family, bytes);
    return hosts.empty() || hosts.count(key) || (wildcard_matches && key.empty());
  };
  return (socket.local_port == port && host_matches(socket.local, true)) ||
         (socket.peer_port == port && host_matches(socket.peer, false));
}

bool is_kernel_thread(const std::string& pid) {
  std::ifstream file("/proc/" + pid + "/stat");
  std::string stat;
  std::getline(file, stat);
  // The fields after the command (which may hold spaces and parentheses): state, ppid, pgrp,
  // session, tty, tpgid, flags; PF_KTHREAD is 0x00200000.
  std::istringstream fields(stat.substr(stat.rfind(')') + 1));
  std::string skipped;
  unsigned long flags = 0;
  for (int i = 0; i < 6; ++i) fields >> skipped;
  fields >> flags;
  return (flags & 0x00200000) != 0;
}

}  // namespace

PortOwners find_port_owners(int port, const std::vector<SocketAddress>& hosts) {
  std::set<std::string> host_keys;
  for (const SocketAddress& host : hosts) host_keys.insert(host_key(host));

  std::vector<KernelSocket> table;
  for (int family : {AF_INET, AF_INET6}) {
    for (int protocol : {IPPROTO_TCP, IPPROTO_UDP}) {
      if (!dump_sock_diag(family, protocol, table)) read_proc_net(family, protocol, table);
    }
  }
  PortOwners owners;
  std::map<std::uint64_t, std::size_t> by_inode;  // inode -> index in owners.sockets
  for (const KernelSocket& found : table) {
    if (!matches(found, port, host_keys)) continue;
    PortSocket socket;
    socket.kind = std::string(found.protocol == IPPROTO_TCP ? "tcp" : "udp") +
                  (found.family == AF_INET6 ? "6" : "");
    socket.local = format_address(address_of(found.family, found.local, found.local_port));
    if (found.peer_port != 0) {
      socket.peer = format_address(address_of(found.family, found.peer, found.peer_port));
    }
    socket.state = found.protocol == IPPROTO_TCP ? tcp_state_name(found.state)
                   : found.peer_port != 0        ? "CONNECTED"
                                                 : "UNCONNECTED";
    socket.inode = found.inode;
    socket.uid = found.uid;
    socket.receive_queue = found.receive_queue;
    socket.send_queue = found.send_queue;
    if (socket.inode != 0) by_inode[socket.inode] = owners.sockets.size();
    owners.sockets.push_back(std::move(socket));
  }
  if (owners.sockets.empty()) return owners;

  std::vector<HiddenProcess> hidden;
  DIR* proc = ::opendir("/proc");
  if (!proc) throw std::system_error(errno, std::generic_category(), "cannot list /proc");
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    const std::string pid = entry->d_name;
    const std::string directory = "/proc/" + pid + "/fd";
    UniqueFd descriptors(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!descriptors) {
      const int errnum = errno;
      if (errnum == ENOENT || is_kernel_thread(pid)) continue;  // exited, or has no files
      struct stat status {};
      ::stat(("/proc/" + pid).c_str(), &status);
      std::ifstream comm("/proc/" + pid + "/comm");
      HiddenProcess process;
      process.pid = std::atoi(pid.c_str());
      std::getline(comm, process.command);
      process.uid = status.st_uid;
      process.errnum = errnum;
      hidden.push_back(std::move(process));
      continue;
    }
    DIR* listing = ::fdopendir(descriptors.release());
    if (!listing) continue;
    while (const dirent* fd = ::readdir(listing)) {
      if (fd->d_name[0] < '0' || fd->d_name[0] > '9') continue;
      char link[64];
      const ssize_t n = ::readlinkat(::dirfd(listing), fd->d_name, link, sizeof link - 1);
      if (n <= 0) continue;
      link[n] = '\0';
      std::uint64_t inode = 0;
      if (std::sscanf(link, "socket:[%lu]", &inode) != 1) continue;
      const auto socket = by_inode.find(inode);
      if (socket == by_inode.end()) continue;
      owners.sockets[socket->second].holders.push_back(
          {std::atoi(pid.c_str()), std::atoi(fd->d_name)});
    }
    ::closedir(listing);
  }
  ::closedir(proc);

  std::set<std::uint32_t> uids;
  bool unowned = false;  // a socket with a descriptor that no visible process holds
  for (PortSocket& socket : owners.sockets) {
    std::sort(socket.holders.begin(), socket.holders.end(),
              [](const PortSocket::Holder& a, const PortSocket::Holder& b) {
                return a.pid != b.pid ? a.pid < b.pid : a.fd < b.fd;
              });
    uids.insert(socket.uid);
    unowned = unowned || (socket.inode != 0 && socket.holders.empty());
  }
  for (HiddenProcess& process : hidden) {
    if (unowned || uids.count(process.uid)) owners.hidden.push_back(std::move(process));
  }
  std::sort(owners.hidden.begin(), owners.hidden.end(),
            [](const HiddenProcess& a, const HiddenProcess& b) { return a.pid < b.pid; });
  return owners;
}

}  // namespace seltool::cli
