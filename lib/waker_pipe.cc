// The wakeup channel on POSIX systems without eventfd: a non-blocking, close-on-exec pipe
// (opened by open_wakeup_pipe(), one definition per OS).
#include <errno.h>
#include <unistd.h>

#include "lib/unique_fd.h"
#include "lib/waker.h"

namespace seltool {
namespace {

class PipeWaker final : public Waker {
 public:
  PipeWaker() {
    int ends[2];
    open_wakeup_pipe(ends);
    read_end_.reset(ends[0]);
    write_end_.reset(ends[1]);
  }

  int fd() const noexcept override { return read_end_.get(); }

  void wake() noexcept override {
    const int saved_errno = errno;
    const char byte = 1;
    // EAGAIN means the pipe is full: a wakeup is pending already, which is all we need.
    while (::write(write_end_.get(), &byte, 1) == -1 && errno == EINTR) {
    }
    errno = saved_errno;
  }

  void consume() noexcept override {
    char buffer[256];
    for (;;) {
      const ssize_t n = ::read(read_end_.get(), buffer, sizeof buffer);
      if (n > 0 || (n == -1 && errno == EINTR)) continue;
      break;  // empty (EAGAIN) or broken: nothing more to read
    }
  }

  void close() noexcept override {
    read_end_.reset();
    write_end_.reset();
  }

 private:
  UniqueFd read_end_;
  UniqueFd write_end_;
};

}  // namespace

std::unique_ptr<Waker> make_descriptor_waker() { return std::make_unique<PipeWaker>(); }

}  // namespace seltool
