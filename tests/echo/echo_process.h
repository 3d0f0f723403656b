// Test helpers for `seltool echo`: the real binary as a child process (its JSON lines read
// from a pipe with deadlines) and blocking/non-blocking loopback clients.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lib/unique_fd.h"

namespace echo_test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Path of the seltool binary among the test's runfiles.
std::string seltool_path();

class EchoProcess {
 public:
  struct Options {
    std::optional<rlim_t> max_open_files;  // RLIMIT_NOFILE set in the child before exec
  };
  // Starts `seltool echo ARGS...` with stdout and stderr piped.
  explicit EchoProcess(std::vector<std::string> args) : EchoProcess(std::move(args), Options{}) {}
  EchoProcess(std::vector<std::string> args, Options options);
  ~EchoProcess();  // SIGKILL if still running

  pid_t pid() const { return pid_; }
  // The next JSON line, or nullopt at EOF or after `timeout`.
  std::optional<nlohmann::json> next_line(std::chrono::milliseconds timeout = 10s);
  // Skips lines until one has "event" == name; nullopt on EOF/timeout.
  std::optional<nlohmann::json> wait_for(const std::string& name,
                                         std::chrono::milliseconds timeout = 10s);
  // The port of the first "listening" line (read on construction by start()).
  int port() const { return port_; }
  // Reads the first "listening" line and remembers its port; false when none came.
  bool start();

  void signal(int signal_number);
  // Waits for the exit status (-1 after `timeout`, the child is then killed).
  int wait_exit(std::chrono::milliseconds timeout = 10s);
  // All of stderr (after exit).
  std::string read_stderr();
  // CPU time (user + system) the child used so far, from /proc/PID/stat.
  double cpu_seconds() const;
  // Resident memory of the child, from /proc/PID/status.
  long rss_kib() const;

 private:
  pid_t pid_ = -1;
  seltool::UniqueFd stdout_;
  seltool::UniqueFd stderr_;
  std::string buffer_;
  int port_ = -1;
  bool exited_ = false;
};

// A blocking TCP connection to 127.0.0.1:port (close-on-exec, TCP_NODELAY).
seltool::UniqueFd connect_to(int port);
seltool::UniqueFd connect_unix(const std::string& path);
void set_nonblocking(int fd);
void send_all(int fd, const std::string& data);
// Reads exactly `size` bytes unless EOF or `timeout` comes first.
std::string recv_exact(int fd, std::size_t size, std::chrono::milliseconds timeout = 10s);
// Reads until EOF (or `timeout`); `eof` tells which.
std::string recv_until_eof(int fd, std::chrono::milliseconds timeout, bool* eof);
// True when `fd` becomes readable within `timeout`.
bool readable_within(int fd, std::chrono::milliseconds timeout);
std::string random_bytes(std::size_t size, unsigned seed);

// Sends each client's payload and reads back its echo at the same time (non-blocking, poll),
// so that neither side's buffers can deadlock; returns what each client received.
std::vector<std::string> echo_concurrently(const std::vector<int>& fds,
                                           const std::vector<std::string>& payloads,
                                           std::chrono::milliseconds timeout = 60s);

}  // namespace echo_test
