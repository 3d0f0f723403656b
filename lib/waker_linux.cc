// The wakeup channel on Linux: one eventfd, created close-on-exec and non-blocking at once.
#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "lib/os_error.h"
#include "lib/unique_fd.h"
#include "lib/waker.h"

namespace seltool {
namespace {

class EventfdWaker final : public Waker {
 public:
  EventfdWaker() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (!event_) throw_os_error(errno, "eventfd(wakeup channel)");
  }

  int fd() const noexcept override { return event_.get(); }

  void wake() noexcept override {
    const int saved_errno = errno;
    const std::uint64_t one = 1;
    // EAGAIN would mean a counter near 2^64: a wakeup is pending already.
    while (::write(event_.get(), &one, sizeof one) == -1 && errno == EINTR) {
    }
    errno = saved_errno;
  }

  void consume() noexcept override {
    std::uint64_t count;  // one read resets the counter to 0
    while (::read(event_.get(), &count, sizeof count) == -1 && errno == EINTR) {
    }
  }

  void close() noexcept override { event_.reset(); }

 private:
  UniqueFd event_;
};

}  // namespace

std::unique_ptr<Waker> make_descriptor_waker() { return std::make_unique<EventfdWaker>(); }

}  // namespace seltool
