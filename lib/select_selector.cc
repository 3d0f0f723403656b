// The select backend: POSIX select(2), the portable fallback. Descriptors at or above FD_SETSIZE
// cannot be put in an fd_set: they are refused at registration instead of corrupting memory.
#include <errno.h>
#include <sys/select.h>

#include <algorithm>
#include <string>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/os_error.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.select_fails_on_closed_descriptors = true;  // EBADF from select(), as Python
  traits.watches_regular_files = true;               // always ready
  traits.limited_to_fd_setsize = true;
  return traits;
}();

class SelectBackend final : public Backend {
 public:
  SelectBackend() {
    FD_ZERO(&readers_);
    FD_ZERO(&writers_);
  }
  std::string_view name() const noexcept override { return "select"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  // The wakeup channel is refused like any descriptor when every one below FD_SETSIZE is
  // taken; the core then fails the selector's creation (EMFILE).
  void add(int fd, Events events, Token) override {
    if (fd >= FD_SETSIZE) {
      throw std::invalid_argument("file descriptor " + std::to_string(fd) +
                                  " is out of range for select() (FD_SETSIZE is " +
                                  std::to_string(FD_SETSIZE) + "); use poll or epoll");
    }
    set(fd, events);
    max_fd_ = std::max(max_fd_, fd);
  }

  void modify(int fd, Events, Events new_events, Token) override { set(fd, new_events); }

  void remove(int fd, Events, Token) noexcept override {
    set(fd, 0);
    while (max_fd_ >= 0 && !FD_ISSET(max_fd_, &readers_) && !FD_ISSET(max_fd_, &writers_)) {
      --max_fd_;
    }
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t,
            std::vector<RawEvent>& events) override {
    fd_set readable = readers_;
    fd_set writable = writers_;
    timeval tv{};
    if (timeout) {
      // Rounded up to microseconds; beyond 1e8 s (what every select() accepts) the wait is
      // cut and select() waits again.
      constexpr std::int64_t kMaxSeconds = 100'000'000;
      const auto us = std::chrono::ceil<std::chrono::microseconds>(*timeout).count();
      tv.tv_sec = time_t(std::min<std::int64_t>(us / 1'000'000, kMaxSeconds));
      tv.tv_usec = suseconds_t(tv.tv_sec == kMaxSeconds ? 0 : us % 1'000'000);
    }
    int n = ::select(max_fd_ + 1, &readable, &writable, nullptr, timeout ? &tv : nullptr);
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "select");
    }
    for (int fd = 0; fd <= max_fd_ && n > 0; ++fd) {
      Events ready = 0;
      if (FD_ISSET(fd, &readable)) ready |= EVENT_READ, --n;
      if (FD_ISSET(fd, &writable)) ready |= EVENT_WRITE, --n;
      if (ready) events.push_back(raw_event(token::of_descriptor(fd), ready, 0));
    }
  }

  void close() noexcept override {}

 private:
  void set(int fd, Events events) {
    if (events & EVENT_READ)
      FD_SET(fd, &readers_);
    else
      FD_CLR(fd, &readers_);
    if (events & EVENT_WRITE)
      FD_SET(fd, &writers_);
    else
      FD_CLR(fd, &writers_);
  }

  fd_set readers_;
  fd_set writers_;
  int max_fd_ = -1;
};

}  // namespace

std::unique_ptr<Backend> make_select_backend() { return std::make_unique<SelectBackend>(); }

int select_fd_setsize() noexcept { return FD_SETSIZE; }

}  // namespace seltool
