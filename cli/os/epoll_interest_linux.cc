// Linux: /proc/PID/fdinfo/EPFD holds one line per registration,
// "tfd: N events: HEX data: HEX pos:0 ino:HEX sdev:HEX" (fs/eventpoll.c: ep_show_fdinfo).
#include <sys/epoll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/os/epoll_interest.h"

namespace seltool::cli {
namespace {

// The hexadecimal value after "NAME:" in `line` (0 when missing).
std::uint64_t hex_field(const std::string& line, const std::string& name) {
  const std::size_t at = line.find(name + ":");
  if (at == std::string::npos) return 0;
  return std::strtoull(line.c_str() + at + name.size() + 1, nullptr, 16);
}

}  // namespace

Events EpollRegistration::events() const {
  Events events = 0;
  if (mask & (EPOLLIN | EPOLLPRI | EPOLLRDHUP)) events |= EVENT_READ;
  if (mask & EPOLLOUT) events |= EVENT_WRITE;
  return events;
}

bool EpollRegistration::edge_triggered() const { return (mask & EPOLLET) != 0; }

std::vector<EpollRegistration> interest_list(int pid, int epfd) {
  const std::string process = "/proc/" + std::to_string(pid);
  std::ifstream fdinfo(process + "/fdinfo/" + std::to_string(epfd));
  std::vector<EpollRegistration> found;
  for (std::string line; std::getline(fdinfo, line);) {
    if (line.rfind("tfd:", 0) != 0) continue;
    EpollRegistration registration;
    registration.fd = std::atoi(line.c_str() + 4);
    registration.mask = std::uint32_t(hex_field(line, "events"));
    registration.data = hex_field(line, "data");
    struct stat now {};
    if (::stat((process + "/fd/" + std::to_string(registration.fd)).c_str(), &now) != 0) {
      registration.status = "not_open";
    } else {
      registration.status = now.st_ino == hex_field(line, "ino") ? "open" : "reused";
    }
    found.push_back(registration);
  }
  std::sort(found.begin(), found.end(),
            [](const EpollRegistration& a, const EpollRegistration& b) { return a.fd < b.fd; });
  return found;
}

std::vector<std::string> interest_event_names(std::uint32_t mask) {
  static const std::pair<std::uint32_t, const char*> kNames[] = {{EPOLLIN, "read"},
                                                                 {EPOLLOUT, "write"},
                                                                 {EPOLLPRI, "priority"},
                                                                 {EPOLLRDHUP, "read_hangup"},
                                                                 {EPOLLET, "edge"},
                                                                 {EPOLLONESHOT, "oneshot"},
                                                                 {EPOLLEXCLUSIVE, "exclusive"},
                                                                 {EPOLLWAKEUP, "wakeup"}};
  std::vector<std::string> names;
  for (const auto& [bit, name] : kNames) {
    if (mask & bit) names.push_back(name);
  }
  return names;
}

}  // namespace seltool::cli
