#include "cli/targets/protocol_checks.h"

namespace seltool::cli {

CheckSockets::~CheckSockets() {
  for (int fd : watched_) selector_.unregister(fd);
}

void CheckSockets::watch(int fd, Events events) {
  const bool watched = watched_.count(fd) > 0;
  if (events == 0) {
    if (watched) selector_.unregister(fd);
    watched_.erase(fd);
  } else if (watched) {
    selector_.modify(fd, events, KeyOwner{&owner_});
  } else {
    selector_.register_file(fd, events, KeyOwner{&owner_});
    watched_.insert(fd);
  }
}

std::string one_line(std::string_view message) {
  std::string line;
  bool space = false;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !line.empty();
      continue;
    }
    if (space) line += ' ';
    space = false;
    line += c;
  }
  return line;
}

}  // namespace seltool::cli
