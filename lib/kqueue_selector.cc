// The kqueue backend: kqueue(2) on macOS, FreeBSD, OpenBSD, NetBSD and DragonFly.
// Reading and writing are two separate filters (EVFILT_READ, EVFILT_WRITE) of one
// descriptor. A READ|WRITE registration is all or nothing in the kernel (when the second
// filter is refused the first is removed again, where Python leaks it), and both filters of
// one descriptor come back as one entry with both bits (report() merges them). EV_EOF and
// EV_ERROR are kept as CONDITION_HANGUP / CONDITION_ERROR instead of being dropped.
// Closing a descriptor removes its filters, so unregister() after close ignores ENOENT/EBADF.
// Some descriptors are refused at registration: /dev/null and ttys on macOS (EINVAL),
// /dev/null on FreeBSD (ENODEV).
// The wakeup channel is an EVFILT_USER event of the kqueue itself where the kernel has one
// (macOS, FreeBSD, DragonFly, NetBSD 10): no descriptor of its own. Elsewhere it is the pipe.
#include <errno.h>
#include <fcntl.h>
#include <sys/time.h>
// OpenBSD's sys/event.h needs sys/types.h first; include sorting would swap them.
// clang-format off
#include <sys/types.h>
#include <sys/event.h>
// clang-format on

#include <algorithm>
#include <string>
#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/growth.h"
#include "lib/os_error.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.has_kernel_object = true;
  traits.refuses_closed_descriptors = true;
  traits.watches_regular_files = true;  // readable until the end of the file
  traits.modify_reaches_kernel = true;
  traits.reports_hangup = true;                 // EV_EOF
  traits.may_report_a_descriptor_twice = true;  // one event per filter
  return traits;
}();

// Applies one change to `kq` and returns 0 or the errno. With no room for events, kevent()
// reports a refused change through its return value, not as an EV_ERROR event, and does not
// wait. Async-signal-safe (one system call).
int kevent_change(int kq, uintptr_t ident, short filter, unsigned flags,
                  unsigned fflags = 0) noexcept {
  struct kevent event;
  // 0 for udata, which is a pointer on most systems and an intptr_t on NetBSD.
  EV_SET(&event, ident, filter, flags, fflags, 0, 0);
  const timespec no_wait{};
  while (::kevent(kq, &event, 1, nullptr, 0, &no_wait) == -1) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

#ifdef EVFILT_USER
// The wakeup channel as a user event of the kqueue: wake() triggers it, and EV_CLEAR resets
// it when a wait returns it. The kqueue descriptor belongs to the backend.
class UserEventWaker final : public Waker {
 public:
  static constexpr uintptr_t kIdent = 0;  // user events have their own identifier space

  explicit UserEventWaker(int kq) : kq_(kq) {
    if (const int error = kevent_change(kq_, kIdent, EVFILT_USER, EV_ADD | EV_CLEAR)) {
      throw_os_error(error, "kevent EVFILT_USER (wakeup channel)");
    }
  }

  int fd() const noexcept override { return -1; }

  void wake() noexcept override {
    const int saved_errno = errno;
    kevent_change(kq_, kIdent, EVFILT_USER, 0, NOTE_TRIGGER);
    errno = saved_errno;
  }

  void consume() noexcept override {}  // EV_CLEAR did it
  void keep() noexcept override { wake(); }
  void close() noexcept override {}

 private:
  int kq_;
};
#endif

class KqueueBackend final : public Backend {
 public:
  KqueueBackend() : kqueue_(create()) {}
  std::string_view name() const noexcept override { return "kqueue"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  std::unique_ptr<Waker> make_waker() override {
#ifdef EVFILT_USER
    return std::make_unique<UserEventWaker>(kqueue_.get());
#else
    return make_descriptor_waker();
#endif
  }

  void add(int fd, Events events, Token) override { add_filters(fd, events); }

  // Only the filters that change are touched: the new one is added first, so that a refusal
  // leaves everything as it was; a failed removal takes the addition back.
  void modify(int fd, Events old_events, Events new_events, Token) override {
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

  void remove(int fd, Events events, Token) noexcept override {
    // ENOENT and EBADF are expected: closing a descriptor already removed its filters.
    remove_filters(fd, events);
  }

  // The files refused at registration (see the top of this file) never block.
  // EPIPE: EVFILT_WRITE on a pipe whose reader is gone (FreeBSD); a write there never blocks,
  // it fails at once.
  bool refuses_never_blocking(int error) const noexcept override {
    return error == EINVAL || error == ENODEV || error == EPIPE;
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t watched,
            std::vector<RawEvent>& events) override {
    // Room for both filters of every descriptor and the wakeup channel. Never 0 events:
    // kevent() would then ignore the timeout and return at once (bpo-29255).
    const std::size_t room = 2 * watched + 1;
    if (kernel_events_.size() < room) grow_to(kernel_events_, room);
    timespec limit{};
    if (timeout) {
      // Darwin refuses more than 1e6 s (EINVAL): the wait is cut and select() waits again.
      constexpr std::int64_t kMaxSeconds = 1'000'000;
      const std::int64_t ns = timeout->count();
      limit.tv_sec = time_t(std::min<std::int64_t>(ns / 1'000'000'000, kMaxSeconds));
      limit.tv_nsec = long(limit.tv_sec == kMaxSeconds ? 0 : ns % 1'000'000'000);
    }
    const int n = ::kevent(kqueue_.get(), nullptr, 0, kernel_events_.data(),
                           int(kernel_events_.size()), timeout ? &limit : nullptr);
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "kevent");
    }
    for (int i = 0; i < n; ++i) {
      const struct kevent& event = kernel_events_[i];
#ifdef EVFILT_USER
      if (event.filter == EVFILT_USER) {
        events.push_back(raw_event(token::kWakeup, EVENT_READ, 0));
        continue;
      }
#endif
      Conditions conditions = 0;
      if (event.flags & EV_EOF) conditions |= CONDITION_HANGUP;
      // A socket's pending error comes with EV_EOF in fflags; EV_ERROR carries it in data.
      if ((event.flags & EV_ERROR) || ((event.flags & EV_EOF) && event.fflags != 0)) {
        conditions |= CONDITION_ERROR;
      }
      events.push_back(raw_event(token::of_descriptor(int(event.ident)),
                                 event.filter == EVFILT_READ ? EVENT_READ : EVENT_WRITE,
                                 conditions));
    }
  }

  void close() noexcept override {
    kqueue_.reset();
    kernel_events_ = {};
  }

  std::optional<int> fileno() const noexcept override { return kqueue_.get(); }

 private:
  // kqueue() has no close-on-exec flag everywhere, hence fcntl(); a kqueue is not inherited
  // across fork() anyway, so no child can get it between the two calls.
  static UniqueFd create() {
    UniqueFd kq(::kqueue());
    if (!kq) throw_os_error(errno, "kqueue");
    if (::fcntl(kq.get(), F_SETFD, FD_CLOEXEC) == -1) {
      throw_os_error(errno, "fcntl(kqueue)");
    }
    return kq;
  }

  int change(int fd, short filter, unsigned flags) noexcept {
    return kevent_change(kqueue_.get(), uintptr_t(fd), filter, flags);
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

  UniqueFd kqueue_;
  std::vector<struct kevent> kernel_events_;
};

}  // namespace

std::unique_ptr<Backend> make_kqueue_backend() { return std::make_unique<KqueueBackend>(); }

}  // namespace seltool
