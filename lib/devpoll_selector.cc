// The /dev/poll backend: /dev/poll on Solaris and illumos (poll(7d)), Python's DevpollSelector.
// Changes are written to /dev/poll as pollfd records and, as in CPython, buffered until the
// next select(), which writes them all before DP_POLL (a short write is an error). /dev/poll
// ORs a new mask into the one it has, so a modify writes POLLREMOVE and then the new mask.
// Like poll, it accepts closed descriptors at registration and reports them as POLLNVAL.
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
#include "lib/os_error.h"
#include "lib/poll_like.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

class DevpollBackend final : public Backend {
 public:
  DevpollBackend() : devpoll_(open_devpoll()), max_events_(descriptor_limit()) {}
  std::string_view name() const noexcept override { return "devpoll"; }

  // Nothing reaches the kernel before the next select(), so these cannot fail half-way.
  void add(int fd, Events events, Token) override {
    poll_like::refuse_impossible_descriptor(fd);
    queue(fd, flags(events));
  }

  void modify(int fd, Events, Events new_events, Token) override {
    pending_.reserve(pending_.size() + 2);  // both records or neither
    queue(fd, POLLREMOVE);
    queue(fd, flags(new_events));
  }

  void remove(int fd, Events, Token) noexcept override {
    // Must not fail, so must not allocate: a full queue is written out first (its error, if
    // any, is thrown by the next select()). The queue then has room: registering this
    // descriptor queued a record, so its capacity is at least one.
    if (pending_.size() == pending_.capacity()) {
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

    const std::size_t room = std::min(watched, max_events_);
    if (results_.size() < room) results_.resize(room);
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
      events.push_back({token::of_descriptor(results_[i].fd),
                        poll_like::fold(revents, POLLIN, POLLOUT),
                        poll_like::conditions(revents, POLLHUP, POLLERR | POLLNVAL, POLLPRI)});
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
    return std::size_t(std::min<rlim_t>(limit.rlim_cur, INT_MAX));
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
  std::size_t max_events_;       // RLIMIT_NOFILE when created
  std::vector<pollfd> pending_;  // changes not written yet
  std::vector<pollfd> results_;  // DP_POLL's output
  int flush_error_ = 0;          // of a write done by remove(), thrown by wait()
};

}  // namespace

std::unique_ptr<Backend> make_devpoll_backend() { return std::make_unique<DevpollBackend>(); }

}  // namespace seltool
