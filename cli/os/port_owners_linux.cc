// Linux: the sockets of a port from the kernel's table (kernel_sockets_linux.h); their owners
// from the socket:[INODE] links of /proc/*/fd.
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

#include "cli/os/kernel_sockets_linux.h"
#include "cli/os/port_owners.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

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

  const std::vector<KernelSocket> table = inet_sockets();
  PortOwners owners;
  std::map<std::uint64_t, std::size_t> by_inode;  // inode -> index in owners.sockets
  for (const KernelSocket& found : table) {
    if (!matches(found, port, host_keys)) continue;
    PortSocket socket;
    socket.kind = std::string(found.protocol == IPPROTO_TCP ? "tcp" : "udp") +
                  (found.family == AF_INET6 ? "6" : "");
    socket.local = format_address(inet_address(found.family, found.local, found.local_port));
    if (found.peer_port != 0) {
      socket.peer = format_address(inet_address(found.family, found.peer, found.peer_port));
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
