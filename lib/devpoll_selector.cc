// The /dev/poll backend: /dev/poll on Solaris and illumos (poll(7d)), Python's DevpollSelector.
// Changes are written to /dev/poll as pollfd records and, as in CPython, buffered until the
// next select(), which writes them all before DP_POLL (a short write is an error). The driver
// refuses a write() of more records than RLIMIT_NOFILE (EINVAL, and nothing is applied), so,
// as CPython does, a full queue (that many records, the limit when the selector was created)
// is written out before another change is queued. /dev/poll ORs a new mask into the one it
// has, so a modify writes POLLREMOVE and then the new mask. The driver silently skips a
// record for a descriptor that is not open, so register_file() refuses one up front (EBADF,
// as epoll does); a modify of a descriptor closed since makes no system call and cannot fail.
// A descriptor closed after registration is reported as POLLNVAL until it is unregistered.
// One DP_POLL returns at most as many descriptors as RLIMIT_NOFILE allowed when the selector
// was created (CPython's limit); the others come in the next select().
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/devpoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <utility>
#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/growth.h"
#include "lib/os_error.h"
#include "lib/poll_like.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.has_kernel_object = true;
  traits.refuses_closed_descriptors = true;  // the driver would skip them silently
  traits.reports_closed_descriptors = true;  // POLLNVAL, until unregistered
  traits.watches_regular_files = true;       // always ready
  traits.reports_hangup = true;              // POLLHUP
  return traits;
}();

class DevpollBackend final : public Backend {
 public:
  DevpollBackend() : devpoll_(open_devpoll()), limit_(descriptor_limit()) {}
  std::string_view name() const noexcept override { return "devpoll"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  // These fail only before queueing anything (a full queue that could not be written out,
  // or memory), so a failure leaves this registration as it was.
  void add(int fd, Events events, Token) override {
    if (::fcntl(fd, F_GETFD) == -1) {
      throw_os_error(errno, "register: not open (/dev/poll would skip it)", fd);
    }
    make_room(1);
    queue(fd, flags(events));
  }

  void modify(int fd, Events, Events new_events, Token) override {
    make_room(2);
    pending_.reserve(pending_.size() + 2);  // both records or neither
    queue(fd, POLLREMOVE);
    queue(fd, flags(new_events));
  }

  void remove(int fd, Events, Token) noexcept override {
    // Must not fail, so must not allocate: a full queue is written out first (its error, if
    // any, is thrown by the next select()). The queue then has room: registering this
    // descriptor queued a record, so its capacity is at least one.
    if (pending_.size() == pending_.capacity() || pending_.size() >= limit_) {
      const int error = flush();
      if (!flush_error_) flush_error_ = error;
    }
    queue(fd, POLLREMOVE);
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t watched,
            std::vector<RawEvent>& events) override {
    int error = std::exchange(flush_error_, 0);
    if (const int now = flush(); !error) error = now;
    if (error) throw_os_error(error, "write(/dev/poll)");

    const std::size_t room = std::min(watched, limit_);
    if (results_.size() < room) grow_to(results_, room);
    dvpoll request{};
    request.dp_fds = results_.data();
    request.dp_nfds = room;
    request.dp_timeout = poll_like::timeout_ms(timeout);
    const int n = ::ioctl(devpoll_.get(), DP_POLL, &request);
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "ioctl(DP_POLL)");
    }
    for (int i = 0; i < n; ++i) {
      const unsigned revents = unsigned(results_[i].revents);
      events.push_back(
          raw_event(token::of_descriptor(results_[i].fd), poll_like::fold(revents, POLLIN, POLLOUT),
                    poll_like::conditions(revents, POLLHUP, POLLERR | POLLNVAL, POLLPRI)));
    }
  }

  void close() noexcept override {
    devpoll_.reset();
    pending_ = {};
    results_ = {};
  }

  std::optional<int> fileno() const noexcept override { return devpoll_.get(); }

 private:
  static int open_devpoll() {
    const int fd = ::open("/dev/poll", O_RDWR | O_CLOEXEC);
    if (fd == -1) throw_os_error(errno, "open(/dev/poll)");
    return fd;
  }

  static std::size_t descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == -1) {
      throw_os_error(errno, "getrlimit(RLIMIT_NOFILE)");
    }
    // At least 2: a modify's two records must fit in one queue.
    return std::size_t(std::clamp<rlim_t>(limit.rlim_cur, 2, INT_MAX));
  }

  // Writes the queue out if `records` more would not fit in one write(); throws its error.
  void make_room(std::size_t records) {
    if (pending_.size() + records <= limit_) return;
    if (const int error = flush()) throw_os_error(error, "write(/dev/poll)");
  }

  void queue(int fd, short events) { pending_.push_back({fd, events, 0}); }

  static short flags(Events events) { return short(poll_like::flags_for(events, POLLIN, POLLOUT)); }

  // Writes the queued changes and empties the queue, as CPython does even when the write
  // fails. Returns 0 or the errno (EIO for a short write).
  int flush() noexcept {
    const std::size_t bytes = pending_.size() * sizeof(pollfd);
    ssize_t written = 0;
    if (bytes != 0) {
      while ((written = ::write(devpoll_.get(), pending_.data(), bytes)) == -1 && errno == EINTR) {
      }
    }
    pending_.clear();
    if (written == -1) return errno;
    return std::size_t(written) == bytes ? 0 : EIO;
  }

  UniqueFd devpoll_;
  std::size_t limit_;            // RLIMIT_NOFILE when created: records per write, results
  std::vector<pollfd> pending_;  // changes not written yet
  std::vector<pollfd> results_;  // DP_POLL's output
  int flush_error_ = 0;          // of a write done by remove(), thrown by wait()
};

}  // namespace

std::unique_ptr<Backend> make_devpoll_backend() { return std::make_unique<DevpollBackend>(); }

}  // namespace seltool
