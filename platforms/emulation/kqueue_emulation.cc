// A userspace kqueue over poll(2), so that lib/kqueue_selector.cc runs on Linux in tests.
// NOT a kqueue: it implements only what KqueueSelector uses, as kqueue(2) describes it
// (EVFILT_READ/EVFILT_WRITE knotes keyed by descriptor and filter, EV_ADD/EV_DELETE,
// level-triggered results, EV_EOF; one EVFILT_USER knote per queue, with EV_CLEAR, triggered
// by NOTE_TRIGGER from any thread or a signal handler), with FreeBSD's rules for the rest
// (sys/kern/kern_event.c, kqueue_kevent()):
//  - each knote keeps the `udata` of the change that added it, replaced by every later
//    change of it (EV_ADD again, NOTE_TRIGGER with a lock: the signal-safe trigger-only
//    call keeps it), and returns it with its events;
//  - a change that fails, or any change with EV_RECEIPT, becomes an entry of the event list
//    (the change itself, flags EV_ERROR, data its errno or 0) while there is room; then
//    kevent() returns the number of such entries without collecting events. With no room
//    left, a failing change makes kevent() fail with its errno and a receipt makes it
//    return 0, and the changes after it are not applied;
// plus behaviours of real kernels the selector must handle:
//  - nevents == 0 applies the changes and returns at once, ignoring the timeout (bpo-29255);
//  - a timeout above 1e6 s is refused with EINVAL (Darwin);
//  - /dev/null is refused with ENODEV (FreeBSD; macOS refuses it with EINVAL);
//  - EVFILT_WRITE on a pipe whose other end is closed is refused with EPIPE (FreeBSD);
//  - the knotes of a closed descriptor disappear (noticed here at the next wait);
//  - EVFILT_READ on a regular file fires only while data = size - offset is not 0, with that
//    data and no EV_EOF (FreeBSD sys/kern/vfs_subr.c, filt_vfsread(); xnu's filt_vnread()
//    the same): a file read to its end is never readable again until it grows or the
//    offset moves back. (NOTE_FILE_POLL, which makes it fire always, is not modelled: the
//    selector never sets it. A file that grows during a wait is seen at the next wait.)
// and, for the whole program, poll() with the BSD rule for a pipe whose reader is gone: its
// write end is POLLOUT|POLLHUP, never Linux's POLLERR (FreeBSD sys/kern/sys_pipe.c,
// pipe_poll(): POLLHUP once the peer is closed; its kqueue filter filt_pipewrite() says
// EV_EOF). The program's own poll() calls (the poll backend's, seltool's probes) get it too.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/event.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace {

using Knote = std::pair<uintptr_t, short>;  // (ident, filter)
using Knotes = std::map<Knote, void*>;      // each knote's udata

// Built on first use: a program may call kqueue() from a static initializer (the kernel's
// kqueue() needs no initialization), before this file's globals would be constructed.
struct State {
  std::mutex mutex;
  std::map<int, Knotes> queues;  // by kqueue descriptor
  int waits = 0;                 // calls with no changes (pure waits)
  int change_calls = 0;          // calls with changes (the signal-safe trigger-only call aside)
};

State& state() {
  static State* const instance = new State;  // never destroyed: usable from exit handlers
  return *instance;
}

// The user knote of each queue (its ident + 1; 0: none), by kqueue descriptor. A trigger reads
// it without the mutex: the kernel's kevent() is a system call, safe in a signal handler, and
// a handler that took the mutex while the interrupted thread held it would never return. The
// trigger itself is the queue's eventfd counter.
constexpr int kMaxQueueFd = 1 << 16;
std::atomic<uintptr_t> user_knotes[kMaxQueueFd];

bool is_open(uintptr_t fd) { return ::fcntl(int(fd), F_GETFD) != -1; }

bool is_dev_null(uintptr_t fd) {
  struct stat file {};
  struct stat dev_null {};
  return ::fstat(int(fd), &file) == 0 && ::stat("/dev/null", &dev_null) == 0 &&
         S_ISCHR(file.st_mode) && file.st_rdev == dev_null.st_rdev;
}

bool is_widowed_pipe(uintptr_t fd) {
  struct stat file {};
  if (::fstat(int(fd), &file) != 0 || !S_ISFIFO(file.st_mode)) return false;
  pollfd probe{int(fd), 0, 0};
  return ::poll(&probe, 1, 0) == 1 && (probe.revents & (POLLHUP | POLLERR));
}

// EVFILT_READ of a regular file: nullopt for any other file, else size - offset (FreeBSD's
// kn_data), which fires when not 0.
std::optional<std::int64_t> regular_file_data(int fd) {
  struct stat file {};
  if (::fstat(fd, &file) != 0 || !S_ISREG(file.st_mode)) return std::nullopt;
  const off_t offset = ::lseek(fd, 0, SEEK_CUR);
  if (offset == -1) return std::nullopt;
  return std::int64_t(file.st_size) - std::int64_t(offset);
}

int fail(int error) {
  errno = error;
  return -1;
}

// A change that only triggers the user knote: async-signal-safe (no lock, no allocation).
bool is_trigger_only(const struct kevent& change) {
  return change.filter == EVFILT_USER && (change.fflags & NOTE_TRIGGER) &&
         !(change.flags & (EV_ADD | EV_DELETE));
}

int trigger(int kq, uintptr_t ident) {
  if (user_knotes[kq].load() != ident + 1) return ENOENT;
  const std::uint64_t one = 1;
  return ::write(kq, &one, sizeof one) == -1 ? errno : 0;
}

// EV_CLEAR is assumed (the only way KqueueSelector adds one).
int apply_user(int kq, Knotes& knotes, const struct kevent& change) {
  const Knote knote{change.ident, change.filter};
  if (change.flags & EV_DELETE) {
    if (!knotes.erase(knote)) return ENOENT;
    user_knotes[kq].store(0);
    std::uint64_t triggers;
    (void)::read(kq, &triggers, sizeof triggers);  // a pending trigger goes with its knote
    return 0;
  }
  if (change.flags & EV_ADD) {
    const uintptr_t current = user_knotes[kq].load();
    if (current != 0 && current != change.ident + 1) return EINVAL;  // one per queue here
    knotes[knote] = change.udata;
    user_knotes[kq].store(change.ident + 1);
  } else if (const auto existing = knotes.find(knote); existing != knotes.end()) {
    existing->second = change.udata;
  }
  return (change.fflags & NOTE_TRIGGER) ? trigger(kq, change.ident) : 0;
}

int apply(int kq, Knotes& knotes, const struct kevent& change) {
  if (change.filter == EVFILT_USER) return apply_user(kq, knotes, change);
  if (change.filter != EVFILT_READ && change.filter != EVFILT_WRITE) return EINVAL;
  const Knote knote{change.ident, change.filter};
  if (change.flags & EV_DELETE) {
    if (knotes.erase(knote)) return 0;
    return is_open(change.ident) ? ENOENT : EBADF;
  }
  if (change.flags & EV_ADD) {
    if (!is_open(change.ident)) return EBADF;
    if (is_dev_null(change.ident)) return ENODEV;
    if (change.filter == EVFILT_WRITE && is_widowed_pipe(change.ident)) return EPIPE;
    knotes[knote] = change.udata;
  }
  return 0;
}

}  // namespace

extern "C" int kqueue(void) {
  // A real descriptor to own and close, and to wake a wait for EVFILT_USER.
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd == -1) return -1;
  if (fd >= kMaxQueueFd) {
    ::close(fd);
    return fail(EMFILE);
  }
  std::lock_guard<std::mutex> lock(state().mutex);
  state().queues[fd].clear();  // a reused number starts empty
  user_knotes[fd].store(0);
  return fd;
}

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout) {
  if (nchanges == 1 && nevents <= 0 && is_trigger_only(changelist[0])) {
    if (kq < 0 || kq >= kMaxQueueFd) return fail(EBADF);
    const int error = trigger(kq, changelist[0].ident);
    return error ? fail(error) : 0;
  }
  std::vector<pollfd> pollfds;
  std::vector<std::pair<void*, void*>> udata;          // per pollfd: its read and write knotes'
  std::vector<std::optional<std::int64_t>> file_data;  // per pollfd: regular_file_data()
  void* user_udata = nullptr;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    const auto queue = state().queues.find(kq);
    if (queue == state().queues.end() || !is_open(uintptr_t(kq))) return fail(EBADF);
    Knotes& knotes = queue->second;
    if (nchanges == 0) ++state().waits;
    if (nchanges > 0) ++state().change_calls;
    int receipts = 0;
    for (int i = 0; i < nchanges; ++i) {
      const int error = apply(kq, knotes, changelist[i]);
      if (!error && !(changelist[i].flags & EV_RECEIPT)) continue;
      if (nevents <= 0) return error ? fail(error) : 0;  // FreeBSD: even after receipts
      struct kevent& entry = eventlist[receipts++];
      entry = changelist[i];
      entry.flags = EV_ERROR;
      entry.data = error;
      --nevents;
    }
    if (receipts > 0) return receipts;
    if (nevents <= 0) return 0;
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_sec > 1'000'000 || timeout->tv_nsec < 0 ||
                    timeout->tv_nsec >= 1'000'000'000)) {
      return fail(EINVAL);
    }
    for (auto knote = knotes.begin(); knote != knotes.end();) {
      const auto [ident, filter] = knote->first;
      if (filter == EVFILT_USER) {
        user_udata = knote->second;
        ++knote;
        continue;
      }
      if (!is_open(ident)) {
        knote = knotes.erase(knote);
        continue;
      }
      if (pollfds.empty() || pollfds.back().fd != int(ident)) {
        pollfds.push_back({int(ident), 0, 0});
        udata.emplace_back(nullptr, nullptr);
        file_data.push_back(regular_file_data(int(ident)));
      }
      // A regular file read to its end: its read filter does not fire (nothing to poll).
      if (filter == EVFILT_WRITE) {
        pollfds.back().events |= POLLOUT;
      } else if (file_data.back() != std::optional<std::int64_t>(0)) {
        pollfds.back().events |= POLLIN | POLLRDHUP;
      }
      (filter == EVFILT_READ ? udata.back().first : udata.back().second) = knote->second;
      ++knote;
    }
  }
  pollfds.push_back({kq, POLLIN, 0});  // the user events' triggers
  int ms = -1;
  if (timeout) {
    const long long total = timeout->tv_sec * 1000LL + (timeout->tv_nsec + 999'999) / 1'000'000;
    ms = total > INT_MAX ? INT_MAX : int(total);
  }
  if (::poll(pollfds.data(), nfds_t(pollfds.size()), ms) == -1) return -1;

  int count = 0;
  auto add = [&](const pollfd& entry, short filter, bool eof, std::int64_t data, void* udata) {
    if (count == nevents) return;
    struct kevent& event = eventlist[count++];
    EV_SET(&event, uintptr_t(entry.fd), filter, eof ? EV_EOF : 0, 0, data, udata);
  };
  std::uint64_t triggers;  // EV_CLEAR: reported once, however many triggers came
  const uintptr_t user_knote = user_knotes[kq].load();
  if ((pollfds.back().revents & POLLIN) && ::read(kq, &triggers, sizeof triggers) > 0 &&
      user_knote != 0) {
    EV_SET(&eventlist[count++], user_knote - 1, EVFILT_USER, EV_CLEAR, 0, 0, user_udata);
  }
  pollfds.pop_back();
  for (std::size_t i = 0; i < pollfds.size(); ++i) {
    const pollfd& entry = pollfds[i];
    const short r = entry.revents;
    if (r & POLLNVAL) continue;  // closed meanwhile: its knotes are gone
    if ((entry.events & POLLIN) && (r & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
      add(entry, EVFILT_READ, r & (POLLRDHUP | POLLHUP), file_data[i].value_or(0), udata[i].first);
    }
    if ((entry.events & POLLOUT) && (r & (POLLOUT | POLLHUP | POLLERR))) {
      add(entry, EVFILT_WRITE, r & (POLLHUP | POLLERR), 0, udata[i].second);
    }
  }
  return count;
}

// For tests: how many knotes a queue holds (-1 for an unknown queue).
extern "C" int kqueue_emulation_knote_count(int kq) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const auto queue = state().queues.find(kq);
  return queue == state().queues.end() ? -1 : int(queue->second.size());
}

// For tests: how many kevent() calls without changes were made so far.
extern "C" int kqueue_emulation_wait_count() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().waits;
}

// For tests: how many kevent() calls with changes were made so far.
extern "C" int kqueue_emulation_change_calls() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().change_calls;
}

// For tests: the udata of a queue's knote, and whether it exists.
extern "C" bool kqueue_emulation_udata(int kq, uintptr_t ident, short filter, void** udata) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const auto queue = state().queues.find(kq);
  if (queue == state().queues.end()) return false;
  const auto knote = queue->second.find({ident, filter});
  if (knote == queue->second.end()) return false;
  *udata = knote->second;
  return true;
}

// poll() for the whole program, as a BSD answers it (see the top): Linux's answer, except that
// the write end of a pipe or FIFO whose reader is gone, which Linux reports as POLLERR (the
// only POLLERR Linux gives a pipe), is POLLHUP and, when asked for, POLLOUT (FreeBSD's
// pipe_poll()). ppoll() is Linux's own call, not replaced.
extern "C" int poll(struct pollfd* fds, nfds_t nfds, int timeout) {
  const timespec limit{timeout / 1000, (timeout % 1000) * 1'000'000L};
  const int count = ::ppoll(fds, nfds, timeout < 0 ? nullptr : &limit, nullptr);
  for (nfds_t i = 0; count > 0 && i < nfds; ++i) {
    pollfd& entry = fds[i];
    struct stat file {};
    if (!(entry.revents & POLLERR) || ::fstat(entry.fd, &file) != 0 || !S_ISFIFO(file.st_mode)) {
      continue;
    }
    entry.revents = short((entry.revents & ~POLLERR) | POLLHUP | (entry.events & POLLOUT));
  }
  return count;
}
