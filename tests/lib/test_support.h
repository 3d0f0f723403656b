// What the selector tests share: real descriptors with RAII (socket pairs, pipes, temporary
// files), the backend parameter list, and small measuring helpers. No mocks: every helper
// wraps a real system call.
#pragma once

#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "lib/selectors.h"
#include "lib/unique_fd.h"
#include "tests/support/descriptors.h"

namespace seltool::testing {

// A connected stream socket end, like a Python socket object: a file object whose fileno()
// is -1 once close() was called.
class Socket {
 public:
  explicit Socket(int fd) noexcept : fd_(fd) {}
  int fileno() const noexcept { return fd_.get(); }
  void close() noexcept { fd_.reset(); }
  // Writes all of `bytes`; fails the test on error.
  void send(std::string_view bytes) const;
  // Reads what is there, at most `max_bytes` (blocking until something arrives).
  std::string recv(std::size_t max_bytes) const;

 private:
  UniqueFd fd_;
};

// Two connected AF_UNIX stream sockets (Python's socket.socketpair()).
struct SocketPair {
  Socket first;
  Socket second;
};
SocketPair make_socketpair();

// A regular file, already unlinked (mkstemp in TMPDIR), open for reading and writing.
UniqueFd make_temp_file();

// A descriptor number that is not open: a temporary file's, closed (Python's make_bad_fd).
int make_bad_fd();

// How many descriptors are open now (fcntl F_GETFD on every number below the soft limit).
int count_open_fds();

// The test parameter: every backend compiled in, plus "default" (make_default_selector()).
std::vector<std::string> backend_params();
std::unique_ptr<Selector> make_selector_for(const std::string& param);
std::string param_name(const ::testing::TestParamInfo<std::string>& info);

// Base fixture of the per-backend suites: `selector` is a fresh selector of the backend
// under test; name() is the real backend (so "default" tests the backend it picked).
class BackendTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { selector = make_selector_for(GetParam()); }
  // What the backend under test does differently (expectations ask this, never the name).
  const BackendTraits& traits() const { return selector->traits(); }

  std::unique_ptr<Selector> selector;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (at most 65536, as CPython's test does);
// the destructor restores the previous limits.
class ScopedFdLimit {
 public:
  ScopedFdLimit();
  ~ScopedFdLimit();
  ScopedFdLimit(const ScopedFdLimit&) = delete;
  ScopedFdLimit& operator=(const ScopedFdLimit&) = delete;
  // The soft limit now in force (the old one when it could not be raised).
  int limit() const { return limit_; }

 private:
  rlimit previous_{};
  int limit_ = 0;
};

// Seconds since construction on the monotonic clock.
class Stopwatch {
 public:
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// CPU time consumed by the calling thread so far, in seconds.
double thread_cpu_seconds();

// The error code of the std::system_error that `action` throws; an empty code (and a test
// failure) when it throws nothing or something else.
std::error_code system_error_of(const std::function<void()>& action);
// The error code a std::system_error for `errno_value` carries.
inline std::error_code errno_code(int errno_value) {
  return {errno_value, std::generic_category()};
}

// Python's find_ready_matching(): the descriptors whose reported events include `events`.
std::vector<int> ready_fds(const ReadyList& ready, Events events);

}  // namespace seltool::testing
