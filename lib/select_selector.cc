// SelectSelector: POSIX select(2), the portable fallback. Descriptors at or above FD_SETSIZE
// cannot be put in an fd_set: they are refused at registration instead of corrupting memory.
#include <errno.h>
#include <sys/select.h>

#include <algorithm>
#include <string>

#include "lib/backends.h"
#include "lib/os_error.h"

namespace seltool {
namespace {

class SelectSelector final : public Selector {
 public:
  SelectSelector() {
    // The wakeup channel must fit in an fd_set too; it does not when every descriptor below
    // FD_SETSIZE is taken. Failing here is clearer than failing every select() later.
    if (wakeup_fd() >= FD_SETSIZE) {
      throw_os_error(EMFILE,
                     "select: no descriptor below FD_SETSIZE (" + std::to_string(FD_SETSIZE) +
                         ") is free for the wakeup channel; use poll or epoll",
                     wakeup_fd());
    }
    FD_ZERO(&readers_);
    FD_ZERO(&writers_);
  }
  std::string_view name() const noexcept override { return "select"; }

 private:
  void add_to_kernel(int fd, Events events, std::uint64_t) override {
    if (fd >= FD_SETSIZE) {
      throw std::invalid_argument("file descriptor " + std::to_string(fd) +
                                  " is out of range for select() (FD_SETSIZE is " +
                                  std::to_string(FD_SETSIZE) + "); use poll or epoll");
    }
    set(fd, events);
    max_fd_ = std::max(max_fd_, fd);
  }

  void modify_in_kernel(int fd, Events, Events new_events, std::uint64_t) override {
    set(fd, new_events);
  }

  void remove_from_kernel(int fd, Events) noexcept override {
    set(fd, 0);
    while (max_fd_ >= 0 && !FD_ISSET(max_fd_, &readers_) && !FD_ISSET(max_fd_, &writers_)) {
      --max_fd_;
    }
  }

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

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
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
      Events events = 0;
      if (FD_ISSET(fd, &readable)) events |= EVENT_READ, --n;
      if (FD_ISSET(fd, &writable)) events |= EVENT_WRITE, --n;
      if (events) report(fd, events);
    }
  }

  fd_set readers_;
  fd_set writers_;
  int max_fd_ = -1;
};

}  // namespace

std::unique_ptr<Selector> make_select_selector() { return std::make_unique<SelectSelector>(); }

int select_fd_setsize() noexcept { return FD_SETSIZE; }

}  // namespace seltool
