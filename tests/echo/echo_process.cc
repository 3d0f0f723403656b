#include "tests/echo/echo_process.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace echo_test {
namespace {

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : int(left.count());
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

}  // namespace

std::string seltool_path() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (!srcdir || !workspace) throw std::runtime_error("run under bazel test");
  return std::string(srcdir) + "/" + workspace + "/cli/seltool";
}

EchoProcess::EchoProcess(std::vector<std::string> args, Options options) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) == -1 || ::pipe2(err, O_CLOEXEC) == -1) fail("pipe2");
  stdout_.reset(out[0]);
  stderr_.reset(err[0]);
  const std::string binary = seltool_path();
  args.insert(args.begin(), {binary, "echo"});
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == -1) fail("fork");
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    if (options.max_open_files) {
      const rlimit limit{*options.max_open_files, *options.max_open_files};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
}

EchoProcess::~EchoProcess() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

std::optional<nlohmann::json> EchoProcess::next_line(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const std::size_t newline = buffer_.find('\n');
    if (newline != std::string::npos) {
      const std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      return nlohmann::json::parse(line);
    }
    pollfd p{stdout_.get(), POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) <= 0) return std::nullopt;
    char chunk[4096];
    const ssize_t n = ::read(stdout_.get(), chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    buffer_.append(chunk, std::size_t(n));
  }
}

std::optional<nlohmann::json> EchoProcess::wait_for(const std::string& name,
                                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (auto line = next_line(std::chrono::milliseconds(remaining_ms(deadline)))) {
    if ((*line)["event"] == name) return line;
  }
  return std::nullopt;
}

bool EchoProcess::start() {
  const auto line = wait_for("listening");
  if (!line) return false;
  const std::string address = (*line)["address"];
  port_ = std::atoi(address.substr(address.rfind(':') + 1).c_str());
  return true;
}

void EchoProcess::signal(int signal_number) { ::kill(pid_, signal_number); }

int EchoProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(10ms);
  }
  exited_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string EchoProcess::read_stderr() {
  std::string text;
  char chunk[4096];
  ssize_t n;
  while ((n = ::read(stderr_.get(), chunk, sizeof chunk)) > 0) text.append(chunk, std::size_t(n));
  return text;
}

double EchoProcess::cpu_seconds() const {
  std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / double(::sysconf(_SC_CLK_TCK));
}

long EchoProcess::rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

seltool::UniqueFd connect_to(int port) {
  seltool::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(uint16_t(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) {
    fail("connect");
  }
  const int on = 1;
  ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  return fd;
}

seltool::UniqueFd connect_unix(const std::string& path) {
  seltool::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) {
    fail("connect unix");
  }
  return fd;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    sent += std::size_t(n);
  }
}

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

}  // namespace echo_test
