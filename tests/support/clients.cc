#include "tests/support/clients.h"

#include <poll.h>
#include <sys/socket.h>

#include <random>

#include "tests/support/descriptors.h"

namespace seltool::testing {

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::string data(size, '\0');
  for (char& c : data) c = char(generator());
  return data;
}

std::vector<std::string> echo_concurrently(const std::vector<int>& fds,
                                           const std::vector<std::string>& payloads,
                                           std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  std::vector<std::size_t> sent(fds.size(), 0);
  std::vector<std::string> received(fds.size());
  for (int fd : fds) set_nonblocking(fd);
  std::vector<pollfd> polls(fds.size());
  char chunk[65536];
  for (;;) {
    bool done = true;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      short events = 0;
      if (sent[i] < payloads[i].size()) events |= POLLOUT;
      if (received[i].size() < payloads[i].size()) events |= POLLIN;
      polls[i] = {events ? fds[i] : -1, events, 0};
      done &= events == 0;
    }
    if (done || ::poll(polls.data(), polls.size(), int(time_left(deadline).count())) <= 0) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (polls[i].revents & POLLOUT) {
        const std::size_t size = std::min<std::size_t>(payloads[i].size() - sent[i], 65536);
        const ssize_t n = ::send(fds[i], payloads[i].data() + sent[i], size, MSG_NOSIGNAL);
        if (n > 0) sent[i] += std::size_t(n);
      }
      if (polls[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        const ssize_t n = ::recv(fds[i], chunk, sizeof chunk, 0);
        if (n > 0) received[i].append(chunk, std::size_t(n));
        if (n == 0) return received;  // a premature EOF: the caller's comparison fails
      }
    }
  }
  return received;
}

std::string send_until_blocked(int fd) {
  set_nonblocking(fd);
  const std::string chunk = random_bytes(64 << 10, 7);
  std::string sent;
  // A measurement window: blocked means not writable for 500 ms since the last send.
  auto quiet_since = Clock::now();
  while (Clock::now() - quiet_since < 500ms && sent.size() < (256u << 20)) {
    const ssize_t n = ::send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent.append(chunk, 0, std::size_t(n));
      quiet_since = Clock::now();
    } else {
      writable_within(fd, time_left(quiet_since + 500ms));
    }
  }
  return sent;
}

}  // namespace seltool::testing
