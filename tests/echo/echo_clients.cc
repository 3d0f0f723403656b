#include "tests/echo/echo_clients.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

namespace seltool::testing {
namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : int(left.count());
}

}  // namespace

std::optional<Json> wait_for_event(SeltoolProcess& server, const std::string& name,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto event = server.read_event(std::chrono::milliseconds(remaining_ms(deadline)))) {
    if ((*event)["event"] == name) return event;
  }
  return std::nullopt;
}

int listening_port(SeltoolProcess& server) {
  const auto line = wait_for_event(server, "listening");
  if (!line) return -1;
  const std::string address = (*line)["address"];
  return std::atoi(address.substr(address.rfind(':') + 1).c_str());
}

double cpu_seconds_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / double(::sysconf(_SC_CLK_TCK));
}

long rss_kib_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool readable_within(int fd, std::chrono::milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, int(timeout.count())) == 1;
}

std::string recv_exact(int fd, std::size_t size, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string data;
  char chunk[65536];
  while (data.size() < size) {
    if (!readable_within(fd, std::chrono::milliseconds(remaining_ms(deadline)))) break;
    const ssize_t n = ::recv(fd, chunk, std::min(sizeof chunk, size - data.size()), 0);
    if (n <= 0) break;
    data.append(chunk, std::size_t(n));
  }
  return data;
}

std::string recv_until_eof(int fd, std::chrono::milliseconds timeout, bool* eof) {
  const auto deadline = Clock::now() + timeout;
  std::string data;
  char chunk[65536];
  *eof = false;
  while (readable_within(fd, std::chrono::milliseconds(remaining_ms(deadline)))) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) {
      *eof = true;
      break;
    }
    data.append(chunk, std::size_t(n));
  }
  return data;
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::string data(size, '\0');
  for (char& c : data) c = char(generator());
  return data;
}

std::vector<std::string> echo_concurrently(const std::vector<int>& fds,
                                           const std::vector<std::string>& payloads,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
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
    if (done || ::poll(polls.data(), polls.size(), remaining_ms(deadline)) <= 0) break;
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

}  // namespace seltool::testing
