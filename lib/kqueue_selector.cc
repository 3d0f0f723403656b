// The kqueue backend: kqueue(2) on macOS, FreeBSD, OpenBSD, NetBSD and DragonFly.
// Reading and writing are two separate filters (EVFILT_READ, EVFILT_WRITE) of one
// descriptor. The changes of one operation (both filters of a registration, the filters a
// modify adds and removes) go to the kernel in one kevent() call with EV_RECEIPT: each
// change comes back as its own EV_ERROR entry whose `data` is 0 or its errno, so a partial
// failure is known filter by filter and taken back in one more call (all or nothing, where
// Python leaks the filter that was accepted). Each filter carries the registration's token
// in `udata`, so events of an ended registration are dropped by the core as for epoll.
// Both filters of one descriptor come back as one entry with both bits (the core merges
// them). EV_EOF and EV_ERROR are kept as CONDITION_HANGUP / CONDITION_ERROR.
// Closing a descriptor removes its filters, so unregister() after close ignores ENOENT/EBADF.
// Some descriptors are refused at registration: /dev/null and ttys on macOS (EINVAL),
// /dev/null on FreeBSD (ENODEV).
// The wakeup channel is an EVFILT_USER event of the kqueue itself where the kernel has one
// (macOS, FreeBSD, DragonFly, NetBSD 10): no descriptor of its own; its udata is the
// reserved wakeup token, so wait() reports it like any other event. Elsewhere it is the pipe.
#include <errno.h>
#include <fcntl.h>
#include <sys/time.h>
// OpenBSD's sys/event.h needs sys/types.h first; include sorting would swap them.
// clang-format off
#include <sys/types.h>
#include <sys/event.h>
// clang-format on

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
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

// The token in `udata`: a pointer on most systems (an intptr_t on some), wide enough for a
// token on 64-bit systems. Where it is narrower, udata carries nothing and events name the
// descriptor only (token::of_descriptor(), as poll's do).
using UData = decltype(std::declval<struct kevent>().udata);
constexpr bool kUDataHoldsToken = sizeof(UData) >= sizeof(Token);

// C-style casts: they convert to and from a pointer or an integer, whichever udata is.
UData udata_of(Token token) noexcept {
  if constexpr (kUDataHoldsToken) {
    return (UData)(std::uintptr_t)token;  // NOLINT
  } else {
    return (UData)(std::uintptr_t)0;  // NOLINT
  }
}

Token token_of(const struct kevent& event) noexcept {
  if constexpr (kUDataHoldsToken) {
    return Token((std::uintptr_t)event.udata);  // NOLINT
  } else {
    return token::of_descriptor(int(event.ident));
  }
}

// Applies `count` changes (at most kMaxChanges) to `kq` without waiting; each change's
// error goes to `errors[i]` (0 when applied). Returns 0, or the errno of the call itself.
// Async-signal-safe (system calls only, no allocation).
//
// With EV_RECEIPT, in one call: every change reports itself as an EV_ERROR entry whose
// `data` is 0 or its errno, and the call collects no events (which could take a pending
// EV_CLEAR wakeup). A system without EV_RECEIPT (NetBSD) gets one call per change with no
// room for events, where kevent() reports a refused change through its return value.
constexpr int kMaxChanges = 2;
int apply(int kq, struct kevent* changes, int count, int* errors) noexcept {
  const timespec no_wait{};
  for (int i = 0; i < count; ++i) errors[i] = 0;
#ifdef EV_RECEIPT
  struct kevent receipts[kMaxChanges];
  for (int i = 0; i < count; ++i) changes[i].flags |= EV_RECEIPT;
  int n;
  // EINTR: the changes were applied (FreeBSD's kevent(2)); applying them again is harmless
  // (an EV_ADD updates, an EV_DELETE reports ENOENT, which every caller tolerates there).
  while ((n = ::kevent(kq, changes, count, receipts, count, &no_wait)) == -1) {
    if (errno != EINTR) return errno;
  }
  for (int r = 0; r < n; ++r) {
    if (!(receipts[r].flags & EV_ERROR) || receipts[r].data == 0) continue;
    for (int i = 0; i < count; ++i) {
      if (receipts[r].ident == changes[i].ident && receipts[r].filter == changes[i].filter) {
        errors[i] = int(receipts[r].data);
      }
    }
  }
#else
  for (int i = 0; i < count; ++i) {
    while (::kevent(kq, &changes[i], 1, nullptr, 0, &no_wait) == -1) {
      if (errno != EINTR) {
        errors[i] = errno;
        break;
      }
    }
  }
#endif
  return 0;
}

#ifdef EVFILT_USER
// The wakeup channel as a user event of the kqueue, registered with the wakeup token in
// udata: wake() triggers it, and EV_CLEAR resets it when a wait returns it. The kqueue
// descriptor belongs to the backend.
class UserEventWaker final : public Waker {
 public:
  static constexpr uintptr_t kIdent = 0;  // user events have their own identifier space

  explicit UserEventWaker(int kq) : kq_(kq) {
    struct kevent change;
    EV_SET(&change, kIdent, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, udata_of(token::wakeup(-1)));
    int error = 0;
    if (const int failed = apply(kq_, &change, 1, &error)) error = failed;
    if (error) throw_os_error(error, "kevent EVFILT_USER (wakeup channel)");
  }

  int fd() const noexcept override { return -1; }

  // No receipt and no room for events: kevent() applies the trigger and returns.
  void wake() noexcept override {
    const int saved_errno = errno;
    struct kevent change;
    EV_SET(&change, kIdent, EVFILT_USER, 0, NOTE_TRIGGER, 0, udata_of(token::wakeup(-1)));
    const timespec no_wait{};
    while (::kevent(kq_, &change, 1, nullptr, 0, &no_wait) == -1 && errno == EINTR) {
    }
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

  void add(int fd, Events events, Token token) override { modify(fd, 0, events, token); }

  // The filters that change, in one call: the new ones added, the old ones deleted. If any
  // change is refused, those applied are taken back (one more call) and nothing changed.
  void modify(int fd, Events old_events, Events new_events, Token token) override {
    struct kevent changes[kMaxChanges];
    int count = 0;
    for (Events event : {EVENT_READ, EVENT_WRITE}) {
      if ((new_events & event) && !(old_events & event)) {
        EV_SET(&changes[count++], uintptr_t(fd), filter_of(event), EV_ADD, 0, 0, udata_of(token));
      } else if ((old_events & event) && !(new_events & event)) {
        EV_SET(&changes[count++], uintptr_t(fd), filter_of(event), EV_DELETE, 0, 0,
               udata_of(token));
      }
    }
    int errors[kMaxChanges];
    if (const int error = apply(kqueue_.get(), changes, count, errors)) {
      throw_os_error(error, "kevent", fd);
    }
    int refused = 0;
    struct kevent undo[kMaxChanges];
    int undone = 0;
    for (int i = 0; i < count; ++i) {
      if (errors[i]) {
        if (!refused) refused = i + 1;
        continue;
      }
      undo[undone] = changes[i];
      undo[undone++].flags = (changes[i].flags & EV_ADD) ? EV_DELETE : EV_ADD;
    }
    if (!refused) return;
    int ignored[kMaxChanges];
    apply(kqueue_.get(), undo, undone, ignored);
    const struct kevent& change = changes[refused - 1];
    throw_os_error(errors[refused - 1],
                   (change.flags & EV_ADD) ? "kevent EV_ADD" : "kevent EV_DELETE", fd);
  }

  void remove(int fd, Events events, Token token) noexcept override {
    // ENOENT and EBADF are expected: closing a descriptor already removed its filters.
    struct kevent changes[kMaxChanges];
    int count = 0;
    for (Events event : {EVENT_READ, EVENT_WRITE}) {
      if (events & event) {
        EV_SET(&changes[count++], uintptr_t(fd), filter_of(event), EV_DELETE, 0, 0,
               udata_of(token));
      }
    }
    int ignored[kMaxChanges];
    apply(kqueue_.get(), changes, count, ignored);
  }

  // The files refused at registration (see the top of this file) never block.
  // EPIPE: EVFILT_WRITE on a pipe whose reader is gone (FreeBSD); a write there never blocks,
  // it fails at once.
  bool refuses_never_blocking(int error) const noexcept override {
    return error == EINVAL || error == ENODEV || error == EPIPE;
  }

  // The buffer holds as many events as the busiest wait so far needed, as epoll's does (see
  // epoll_selector.cc): a full batch is asked again without waiting, with twice the room, up
  // to both filters of every watched descriptor and the user event. Level-triggered knotes
  // that were returned go to the back of the kernel's queue, so the second call returns the
  // ones left out first (the core merges repeats). Never 0 events: kevent() would then
  // ignore the timeout and return at once (bpo-29255).
  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t watched,
            std::vector<RawEvent>& events) override {
    const std::size_t most = 2 * watched + 1;
    std::size_t room = std::min(most, std::max(kernel_events_.size(), kFirstBatch));
    timespec limit{};
    if (timeout) {
      // Darwin refuses more than 1e6 s (EINVAL): the wait is cut and select() waits again.
      constexpr std::int64_t kMaxSeconds = 1'000'000;
      const std::int64_t ns = timeout->count();
      limit.tv_sec = time_t(std::min<std::int64_t>(ns / 1'000'000'000, kMaxSeconds));
      limit.tv_nsec = long(limit.tv_sec == kMaxSeconds ? 0 : ns % 1'000'000'000);
    }
    for (;;) {
      if (kernel_events_.size() < room) kernel_events_.resize(room);
      const int n = ::kevent(kqueue_.get(), nullptr, 0, kernel_events_.data(), int(room),
                             timeout ? &limit : nullptr);
      if (n == -1) {
        if (errno == EINTR) return;
        throw_os_error(errno, "kevent");
      }
      for (const struct kevent* event = kernel_events_.data(); event != kernel_events_.data() + n;
           ++event) {
        Conditions conditions = 0;
        if (event->flags & EV_EOF) conditions |= CONDITION_HANGUP;
        // A socket's pending error comes with EV_EOF in fflags; EV_ERROR carries it in data.
        if ((event->flags & EV_ERROR) || ((event->flags & EV_EOF) && event->fflags != 0)) {
          conditions |= CONDITION_ERROR;
        }
        events.push_back(raw_event(token_of(*event),
                                   event->filter == EVFILT_WRITE ? EVENT_WRITE : EVENT_READ,
                                   conditions));
      }
      if (std::size_t(n) < room || room == most) return;
      room = std::min(most, 2 * room);
      limit = timespec{};
      timeout = std::chrono::nanoseconds(0);
    }
  }

  void close() noexcept override {
    kqueue_.reset();
    kernel_events_ = {};
  }

  std::optional<int> fileno() const noexcept override { return kqueue_.get(); }

 private:
  static constexpr std::size_t kFirstBatch = 64;

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

  static short filter_of(Events event) { return event == EVENT_READ ? EVFILT_READ : EVFILT_WRITE; }

  UniqueFd kqueue_;
  std::vector<struct kevent> kernel_events_;
};

}  // namespace

std::unique_ptr<Backend> make_kqueue_backend() { return std::make_unique<KqueueBackend>(); }

}  // namespace seltool
