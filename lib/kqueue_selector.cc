// KqueueSelector: kqueue(2) on macOS, FreeBSD, OpenBSD, NetBSD and DragonFly.
// Reading and writing are two separate filters (EVFILT_READ, EVFILT_WRITE) of one
// descriptor. A READ|WRITE registration is all or nothing in the kernel (when the second
// filter is refused the first is removed again, where Python leaks it), and both filters of
// one descriptor come back as one entry with both bits (report() merges them). EV_EOF and
// EV_ERROR are kept as CONDITION_HANGUP / CONDITION_ERROR instead of being dropped.
// Closing a descriptor removes its filters, so unregister() after close ignores ENOENT/EBADF.
// Some descriptors are refused at registration: /dev/null and ttys on macOS (EINVAL),
// /dev/null on FreeBSD (ENODEV).
#include <errno.h>
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>  // before sys/event.h, which needs its types on the BSDs

#include <algorithm>
#include <string>
#include <vector>

#include "lib/backends.h"
#include "lib/os_error.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

class KqueueSelector final : public Selector {
 public:
  KqueueSelector() : kqueue_(create()) {}
  std::string_view name() const noexcept override { return "kqueue"; }

 private:
  static UniqueFd create() {
    UniqueFd kq(::kqueue());
    if (!kq) throw_os_error(errno, "kqueue");
    if (::fcntl(kq.get(), F_SETFD, FD_CLOEXEC) == -1) {
      throw_os_error(errno, "fcntl(kqueue)");
    }
    return kq;
  }

  // Applies one change to the kernel and returns 0 or the errno. With no room for events,
  // kevent() reports a refused change through its return value, not as an EV_ERROR event,
  // and does not wait.
  int change(int fd, short filter, unsigned flags) noexcept {
    struct kevent event;
    // 0 for udata, which is a pointer on most systems and an intptr_t on NetBSD.
    EV_SET(&event, uintptr_t(fd), filter, flags, 0, 0, 0);
    const timespec no_wait{};
    while (::kevent(kqueue_.get(), &event, 1, nullptr, 0, &no_wait) == -1) {
      if (errno != EINTR) return errno;
    }
    return 0;
  }

  static short filter_of(Events event) { return event == EVENT_READ ? EVFILT_READ : EVFILT_WRITE; }

  // Adds the filters of `events` one by one; if one is refused, removes those already added.
  void add_filters(int fd, Events events) {
    Events added = 0;
    for (Events event : {EVENT_READ, EVENT_WRITE}) {
      if (!(events & event)) continue;
      if (const int error = change(fd, filter_of(event), EV_ADD)) {
        remove_filters(fd, added);
        throw_os_error(error, "kevent EV_ADD", fd);
      }
      added |= event;
    }
  }

  void remove_filters(int fd, Events events) noexcept {
    for (Events event : {EVENT_READ, EVENT_WRITE}) {
      if (events & event) change(fd, filter_of(event), EV_DELETE);
    }
  }

  void add_to_kernel(int fd, Events events, std::uint64_t) override { add_filters(fd, events); }

  // Only the filters that change are touched: the new one is added first, so that a refusal
  // leaves everything as it was; a failed removal takes the addition back.
  void modify_in_kernel(int fd, Events old_events, Events new_events, std::uint64_t) override {
    const Events added = new_events & ~old_events;
    const Events removed = old_events & ~new_events;
    add_filters(fd, added);
    for (Events event : {EVENT_READ, EVENT_WRITE}) {
      if (!(removed & event)) continue;
      if (const int error = change(fd, filter_of(event), EV_DELETE)) {
        remove_filters(fd, added);
        throw_os_error(error, "kevent EV_DELETE", fd);
      }
    }
  }

  void remove_from_kernel(int fd, Events events) noexcept override {
    // ENOENT and EBADF are expected: closing a descriptor already removed its filters.
    remove_filters(fd, events);
  }

  // The files refused at registration (see the top of this file) never block.
  bool refuses_never_blocking(int error) const noexcept override {
    return error == EINVAL || error == ENODEV;
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
    // Room for both filters of every descriptor and the wakeup channel. Never 0 events:
    // kevent() would then ignore the timeout and return at once (bpo-29255).
    const std::size_t room = 2 * registered_count() + 1;
    if (events_.size() < room) events_.resize(room);
    timespec limit{};
    if (timeout) {
      // Darwin refuses more than 1e6 s (EINVAL): the wait is cut and select() waits again.
      constexpr std::int64_t kMaxSeconds = 1'000'000;
      const std::int64_t ns = timeout->count();
      limit.tv_sec = time_t(std::min<std::int64_t>(ns / 1'000'000'000, kMaxSeconds));
      limit.tv_nsec = long(limit.tv_sec == kMaxSeconds ? 0 : ns % 1'000'000'000);
    }
    const int n = ::kevent(kqueue_.get(), nullptr, 0, events_.data(), int(events_.size()),
                           timeout ? &limit : nullptr);
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "kevent");
    }
    for (int i = 0; i < n; ++i) {
      const struct kevent& event = events_[i];
      Conditions conditions = 0;
      if (event.flags & EV_EOF) conditions |= CONDITION_HANGUP;
      // A socket's pending error comes with EV_EOF in fflags; EV_ERROR carries it in data.
      if ((event.flags & EV_ERROR) || ((event.flags & EV_EOF) && event.fflags != 0)) {
        conditions |= CONDITION_ERROR;
      }
      report(int(event.ident), event.filter == EVFILT_READ ? EVENT_READ : EVENT_WRITE, conditions);
    }
  }

  void close_kernel() noexcept override {
    kqueue_.reset();
    events_ = {};
  }

  std::optional<int> kernel_fd() const noexcept override { return kqueue_.get(); }

  UniqueFd kqueue_;
  std::vector<struct kevent> events_;
};

}  // namespace

std::unique_ptr<Selector> make_kqueue_selector() { return std::make_unique<KqueueSelector>(); }

}  // namespace seltool
