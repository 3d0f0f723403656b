#include "tests/lib/test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

namespace seltool::testing {

void Socket::send(std::string_view bytes) const { write_all(fileno(), bytes); }

std::string Socket::recv(std::size_t max_bytes) const {
  std::string buffer(max_bytes, '\0');
  ssize_t n;
  do {
    n = ::read(fileno(), buffer.data(), buffer.size());
  } while (n == -1 && errno == EINTR);
  EXPECT_GE(n, 0) << "read from descriptor " << fileno() << ": " << std::strerror(errno);
  buffer.resize(n > 0 ? std::size_t(n) : 0);
  return buffer;
}

SocketPair make_socketpair() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == -1) {
    throw std::system_error(errno, std::generic_category(), "socketpair");
  }
  return SocketPair{Socket(ends[0]), Socket(ends[1])};
}

UniqueFd make_temp_file() {
  const char* dir = std::getenv("TEST_TMPDIR");
  if (!dir) dir = std::getenv("TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/seltool-test-XXXXXX";
  UniqueFd fd(::mkstemp(path.data()));
  if (!fd) throw std::system_error(errno, std::generic_category(), "mkstemp " + path);
  ::unlink(path.c_str());
  return fd;
}

int make_bad_fd() {
  UniqueFd file = make_temp_file();
  return file.get();  // closed when `file` goes out of scope
}

int count_open_fds() {
  const int limit = int(std::min(::sysconf(_SC_OPEN_MAX), 65536L));
  int open = 0;
  for (int fd = 0; fd < limit; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) ++open;
  }
  return open;
}

std::vector<std::string> backend_params() {
  std::vector<std::string> params = compiled_backend_names();
  params.emplace_back("default");
  return params;
}

std::unique_ptr<Selector> make_selector_for(const std::string& param) {
  return param == "default" ? make_default_selector() : make_selector(param);
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

ScopedFdLimit::ScopedFdLimit() {
  EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &previous_), 0);
  rlimit raised = previous_;
  raised.rlim_cur = std::min<rlim_t>(previous_.rlim_max, 65536);
  limit_ = int(::setrlimit(RLIMIT_NOFILE, &raised) == 0 ? raised.rlim_cur : previous_.rlim_cur);
}

ScopedFdLimit::~ScopedFdLimit() { ::setrlimit(RLIMIT_NOFILE, &previous_); }

double thread_cpu_seconds() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return double(now.tv_sec) + double(now.tv_nsec) * 1e-9;
}

std::error_code system_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::system_error& error) {
    return error.code();
  } catch (const std::exception& error) {
    ADD_FAILURE() << "expected std::system_error, got: " << error.what();
    return {};
  }
  ADD_FAILURE() << "expected std::system_error, nothing was thrown";
  return {};
}

std::vector<int> ready_fds(const ReadyList& ready, Events events) {
  std::vector<int> fds;
  for (const auto& [key, reported] : ready) {
    if (reported & events) fds.push_back(key.fd);
  }
  return fds;
}

}  // namespace seltool::testing
