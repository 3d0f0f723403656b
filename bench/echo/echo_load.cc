// Load client for echo servers: N connections over loopback, each with one message of SIZE
// bytes in flight (send it, read the echo back, verify every byte, repeat). After a warm-up
// it measures for a fixed time and prints one JSON object: requests/s, latency percentiles,
// and, with --server-pid, the server's CPU time (utime+stime from /proc/PID/stat) per request.
//
//   echo_load --port 1234 --connections 100 --size 1024 --seconds 2 --server-pid PID
//
// Exit 0 on success, 1 when a server closed a connection, returned wrong bytes or stalled.
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kPatternSlack = 4096;  // messages start at varying offsets of a pattern

struct Options {
  int port = 1234;
  int connections = 1;
  std::size_t size = 64;
  double warmup = 0.5;
  double seconds = 2;
  long server_pid = 0;
};

struct Connection {
  int fd = -1;
  std::size_t offset = 0;  // where this message starts in the pattern
  std::size_t sent = 0;
  std::size_t received = 0;
  std::uint64_t started_ns = 0;
  bool wants_write = false;
};

std::uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000u + std::uint64_t(ts.tv_nsec);
}

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "echo_load: %s\n", message.c_str());
  std::exit(1);
}

double process_cpu_seconds(long pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  if (text.empty()) die("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / double(sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--port") {
      options.port = std::atoi(value);
    } else if (name == "--connections") {
      options.connections = std::atoi(value);
    } else if (name == "--size") {
      options.size = std::size_t(std::atol(value));
    } else if (name == "--warmup") {
      options.warmup = std::atof(value);
    } else if (name == "--seconds") {
      options.seconds = std::atof(value);
    } else if (name == "--server-pid") {
      options.server_pid = std::atol(value);
    } else {
      die("unknown option " + name);
    }
  }
  if (options.connections < 1 || options.size < 1) die("--connections and --size must be >= 1");
  return options;
}

class Load {
 public:
  explicit Load(const Options& options)
      : options_(options), connections_(std::size_t(options.connections)) {
    std::mt19937 generator(42);
    pattern_.resize(options.size + kPatternSlack);
    for (char& c : pattern_) c = char(generator());
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    latencies_ns_.reserve(1 << 20);
  }

  void connect_all() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(std::uint16_t(options_.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        die("connect: " + std::string(std::strerror(errno)));
      }
      const int on = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
      fcntl_nonblock(fd);
      connections_[i].fd = fd;
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.u64 = i;
      epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
    }
  }

  void run() {
    for (std::size_t i = 0; i < connections_.size(); ++i) start_message(i);
    const std::uint64_t begin = now_ns();
    const std::uint64_t measure_from = begin + std::uint64_t(options_.warmup * 1e9);
    const std::uint64_t measure_until = measure_from + std::uint64_t(options_.seconds * 1e9);
    std::vector<epoll_event> events(std::min<std::size_t>(connections_.size(), 1024));
    std::uint64_t last_progress = begin;
    std::uint64_t done_at_start = 0;
    double server_cpu_at_start = 0, client_cpu_at_start = 0;
    bool measuring = false;
    for (;;) {
      const int n = epoll_wait(epoll_, events.data(), int(events.size()), 100);
      const std::uint64_t now = now_ns();
      if (!measuring && now >= measure_from) {
        measuring = true;
        measure_started_ = now;
        done_at_start = completed_;
        if (options_.server_pid) server_cpu_at_start = process_cpu_seconds(options_.server_pid);
        client_cpu_at_start = own_cpu_seconds();
      }
      if (measuring && now >= measure_until) {
        const double elapsed = double(now - measure_started_) / 1e9;
        const double server_cpu =
            options_.server_pid ? process_cpu_seconds(options_.server_pid) - server_cpu_at_start
                                : 0;
        report(completed_ - done_at_start, elapsed, server_cpu,
               own_cpu_seconds() - client_cpu_at_start);
        return;
      }
      const std::uint64_t before = completed_;
      for (int i = 0; i < n; ++i) on_ready(events[i].data.u64, events[i].events, now, measuring);
      if (completed_ != before) last_progress = now;
      if (now - last_progress > 5'000'000'000u) die("no echo completed for 5 s (server stalled)");
    }
  }

 private:
  static void fcntl_nonblock(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }

  void set_write_interest(std::size_t i, bool on) {
    Connection& c = connections_[i];
    if (c.wants_write == on) return;
    c.wants_write = on;
    epoll_event event{};
    event.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    event.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
  }

  void start_message(std::size_t i) {
    Connection& c = connections_[i];
    c.offset = (c.offset + 131 + i) % kPatternSlack;
    c.sent = c.received = 0;
    c.started_ns = now_ns();
    send_more(i);
  }

  void send_more(std::size_t i) {
    Connection& c = connections_[i];
    const ssize_t n =
        send(c.fd, pattern_.data() + c.offset + c.sent, options_.size - c.sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN) die("send: " + std::string(std::strerror(errno)));
    if (n > 0) c.sent += std::size_t(n);
    set_write_interest(i, c.sent < options_.size);
  }

  void on_ready(std::size_t i, unsigned events, std::uint64_t now, bool measuring) {
    Connection& c = connections_[i];
    if ((events & EPOLLOUT) && c.sent < options_.size) send_more(i);
    if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
    const ssize_t n = recv(c.fd, scratch_, sizeof scratch_, 0);
    if (n == 0) die("the server closed a connection");
    if (n < 0) {
      if (errno == EAGAIN) return;
      die("recv: " + std::string(std::strerror(errno)));
    }
    if (c.received + std::size_t(n) > c.sent) die("the server sent bytes that were not sent to it");
    if (std::memcmp(scratch_, pattern_.data() + c.offset + c.received, std::size_t(n)) != 0) {
      die("echoed bytes differ from the bytes sent");
    }
    c.received += std::size_t(n);
    if (c.received < options_.size) return;
    ++completed_;
    if (measuring && c.started_ns >= measure_started_) latencies_ns_.push_back(now - c.started_ns);
    start_message(i);
  }

  void report(std::uint64_t requests, double elapsed, double server_cpu, double client_cpu) {
    std::sort(latencies_ns_.begin(), latencies_ns_.end());
    auto percentile = [&](double p) {
      if (latencies_ns_.empty()) return 0.0;
      const std::size_t at =
          std::min(latencies_ns_.size() - 1, std::size_t(p * double(latencies_ns_.size())));
      return double(latencies_ns_[at]) / 1e3;
    };
    std::printf(
        "{\"connections\": %d, \"size\": %zu, \"requests\": %llu, \"seconds\": %.3f, "
        "\"rps\": %.1f, \"p50_us\": %.1f, \"p99_us\": %.1f, \"server_cpu_s\": %.3f, "
        "\"server_cpu_us_per_request\": %.3f, \"client_cpu_s\": %.3f}\n",
        options_.connections, options_.size, static_cast<unsigned long long>(requests), elapsed,
        double(requests) / elapsed, percentile(0.5), percentile(0.99), server_cpu,
        requests ? server_cpu * 1e6 / double(requests) : 0.0, client_cpu);
  }

  const Options options_;
  std::vector<Connection> connections_;
  std::string pattern_;
  int epoll_ = -1;
  char scratch_[64 * 1024];
  std::uint64_t completed_ = 0;
  std::uint64_t measure_started_ = 0;
  std::vector<std::uint64_t> latencies_ns_;
};

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  Load load(options);
  load.connect_all();
  load.run();
  return 0;
}
