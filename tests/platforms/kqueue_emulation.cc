// A userspace kqueue over poll(2), so that lib/kqueue_selector.cc runs on Linux in tests.
// NOT a kqueue: it implements only what KqueueSelector uses, as kqueue(2) describes it
// (EVFILT_READ/EVFILT_WRITE knotes keyed by descriptor and filter, EV_ADD/EV_DELETE,
// level-triggered results, EV_EOF; EVFILT_USER knotes with EV_CLEAR, triggered by
// NOTE_TRIGGER from any thread), plus behaviours of real kernels the selector must handle:
//  - nevents == 0 applies the changes and returns at once, ignoring the timeout (bpo-29255);
//  - a timeout above 1e6 s is refused with EINVAL (Darwin);
//  - /dev/null is refused with ENODEV (FreeBSD; macOS refuses it with EINVAL);
//  - EVFILT_WRITE on a pipe whose other end is closed is refused with EPIPE (FreeBSD);
//  - the knotes of a closed descriptor disappear (noticed here at the next wait).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/event.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>
#include <vector>

namespace {

using Knote = std::pair<uintptr_t, short>;  // (ident, filter)

std::mutex mutex;
std::map<int, std::set<Knote>> queues;  // by kqueue descriptor
// Triggered EVFILT_USER knotes, by kqueue descriptor. The kqueue's own eventfd counts
// triggers, so that a wait blocked in poll() in another thread returns.
std::map<int, std::set<uintptr_t>> triggered;
int waits = 0;  // calls with no changes (pure waits)

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

int fail(int error) {
  errno = error;
  return -1;
}

// EV_CLEAR is assumed (the only way KqueueSelector adds one).
int apply_user(int kq, std::set<Knote>& knotes, const struct kevent& change) {
  const Knote knote{change.ident, change.filter};
  if (change.flags & EV_DELETE) {
    triggered[kq].erase(change.ident);
    return knotes.erase(knote) ? 0 : ENOENT;
  }
  if (change.flags & EV_ADD) knotes.insert(knote);
  if (change.fflags & NOTE_TRIGGER) {
    if (!knotes.count(knote)) return ENOENT;
    triggered[kq].insert(change.ident);
    const std::uint64_t one = 1;
    if (::write(kq, &one, sizeof one) == -1) return errno;
  }
  return 0;
}

int apply(int kq, std::set<Knote>& knotes, const struct kevent& change) {
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
    knotes.insert(knote);
  }
  return 0;
}

}  // namespace

extern "C" int kqueue(void) {
  // A real descriptor to own and close, and to wake a wait for EVFILT_USER.
  const int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd == -1) return -1;
  std::lock_guard<std::mutex> lock(mutex);
  queues[fd].clear();  // a reused number starts empty
  triggered[fd].clear();
  return fd;
}

extern "C" int kevent(int kq, const struct kevent* changelist, int nchanges,
                      struct kevent* eventlist, int nevents, const struct timespec* timeout) {
  std::vector<pollfd> pollfds;
  {
    std::lock_guard<std::mutex> lock(mutex);
    const auto queue = queues.find(kq);
    if (queue == queues.end() || !is_open(uintptr_t(kq))) return fail(EBADF);
    std::set<Knote>& knotes = queue->second;
    if (nchanges == 0) ++waits;
    for (int i = 0; i < nchanges; ++i) {
      if (const int error = apply(kq, knotes, changelist[i])) return fail(error);
    }
    if (nevents <= 0) return 0;
    if (timeout && (timeout->tv_sec < 0 || timeout->tv_sec > 1'000'000 || timeout->tv_nsec < 0 ||
                    timeout->tv_nsec >= 1'000'000'000)) {
      return fail(EINVAL);
    }
    for (auto knote = knotes.begin(); knote != knotes.end();) {
      if (knote->second == EVFILT_USER) {
        ++knote;
        continue;
      }
      if (!is_open(knote->first)) {
        knote = knotes.erase(knote);
        continue;
      }
      if (pollfds.empty() || pollfds.back().fd != int(knote->first)) {
        pollfds.push_back({int(knote->first), 0, 0});
      }
      pollfds.back().events |= knote->second == EVFILT_READ ? POLLIN | POLLRDHUP : POLLOUT;
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
  auto add = [&](const pollfd& entry, short filter, bool eof) {
    if (count == nevents) return;
    struct kevent& event = eventlist[count++];
    EV_SET(&event, uintptr_t(entry.fd), filter, eof ? EV_EOF : 0, 0, 0, 0);
  };
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::uint64_t triggers;
    if (pollfds.back().revents & POLLIN) (void)::read(kq, &triggers, sizeof triggers);
    std::set<uintptr_t>& pending = triggered[kq];
    while (!pending.empty() && count < nevents) {  // EV_CLEAR: reported once
      EV_SET(&eventlist[count++], *pending.begin(), EVFILT_USER, EV_CLEAR, 0, 0, 0);
      pending.erase(pending.begin());
    }
    if (!pending.empty()) (void)::write(kq, &(triggers = 1), sizeof triggers);
  }
  pollfds.pop_back();
  for (const pollfd& entry : pollfds) {
    const short r = entry.revents;
    if (r & POLLNVAL) continue;  // closed meanwhile: its knotes are gone
    if ((entry.events & POLLIN) && (r & (POLLIN | POLLRDHUP | POLLHUP | POLLERR))) {
      add(entry, EVFILT_READ, r & (POLLRDHUP | POLLHUP));
    }
    if ((entry.events & POLLOUT) && (r & (POLLOUT | POLLHUP | POLLERR))) {
      add(entry, EVFILT_WRITE, r & (POLLHUP | POLLERR));
    }
  }
  return count;
}

// For tests: how many knotes a queue holds (-1 for an unknown queue).
extern "C" int kqueue_emulation_knote_count(int kq) {
  std::lock_guard<std::mutex> lock(mutex);
  const auto queue = queues.find(kq);
  return queue == queues.end() ? -1 : int(queue->second.size());
}

// For tests: how many kevent() calls without changes were made so far.
extern "C" int kqueue_emulation_wait_count() {
  std::lock_guard<std::mutex> lock(mutex);
  return waits;
}
