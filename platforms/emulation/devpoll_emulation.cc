// A userspace /dev/poll over poll(2), so that lib/devpoll_selector.cc runs on Linux in tests.
// NOT the driver: it implements what DevpollSelector uses, with the rules of illumos'
// usr/src/uts/common/io/devpoll.c that the selector must respect:
//  - write() takes whole pollfd records; more records in one write() than the RLIMIT_NOFILE
//    soft limit is refused with EINVAL and nothing is applied;
//  - a record ORs its events into the mask the descriptor has; POLLREMOVE removes it;
//  - a record for a descriptor that is not open is skipped silently (never reported);
//  - DP_POLL returns at most dp_nfds descriptors with events; a descriptor closed after it
//    was added is reported as POLLNVAL until it is removed (poll(2) does the same).
// Descriptors are keyed by number, as in poll(2) (the driver also notices a number reused by
// another file; this emulation does not).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/devpoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <map>
#include <mutex>
#include <string_view>
#include <vector>

// This file calls the real functions.
#undef open
#undef write
#undef ioctl

namespace {

// Built on first use: a program may open /dev/poll from a static initializer, before this
// file's globals would be constructed.
struct State {
  std::mutex mutex;
  std::map<int, std::map<int, short>> devices;  // by /dev/poll descriptor: fd -> mask
  int writes = 0;                               // write() calls to any /dev/poll descriptor
};

State& state() {
  static State* const instance = new State;  // never destroyed: usable from exit handlers
  return *instance;
}

bool is_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

int fail(int error) {
  errno = error;
  return -1;
}

// The device of `fd`, or null when `fd` is not an emulated /dev/poll descriptor.
std::map<int, short>* device(int fd) {
  const auto found = state().devices.find(fd);
  return found == state().devices.end() || !is_open(fd) ? nullptr : &found->second;
}

int dp_poll(int fd, dvpoll* request) {
  std::vector<pollfd> watched;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    const std::map<int, short>* masks = device(fd);
    if (!masks) return fail(EBADF);
    for (const auto& [watched_fd, events] : *masks) watched.push_back({watched_fd, events, 0});
  }
  if (::poll(watched.data(), nfds_t(watched.size()), request->dp_timeout) == -1) return -1;
  nfds_t count = 0;
  for (const pollfd& entry : watched) {
    if (entry.revents == 0) continue;
    if (count == request->dp_nfds) break;
    request->dp_fds[count++] = entry;
  }
  return int(count);
}

}  // namespace

extern "C" int devpoll_emulation_open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list arguments;
    va_start(arguments, flags);
    mode = mode_t(va_arg(arguments, int));
    va_end(arguments);
  }
  if (std::string_view(path) != "/dev/poll") return ::open(path, flags, mode);
  // A real descriptor to own and close.
  const int fd = ::eventfd(0, (flags & O_CLOEXEC) ? EFD_CLOEXEC : 0);
  if (fd == -1) return -1;
  std::lock_guard<std::mutex> lock(state().mutex);
  state().devices[fd].clear();  // a reused number starts empty
  return fd;
}

extern "C" ssize_t devpoll_emulation_write(int fd, const void* buffer, size_t size) {
  std::lock_guard<std::mutex> lock(state().mutex);
  std::map<int, short>* masks = device(fd);
  if (!masks) return ::write(fd, buffer, size);
  ++state().writes;
  if (size % sizeof(pollfd) != 0) return fail(EINVAL);
  const size_t records = size / sizeof(pollfd);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == -1) return -1;
  if (limit.rlim_cur != RLIM_INFINITY && records > limit.rlim_cur) return fail(EINVAL);
  const pollfd* record = static_cast<const pollfd*>(buffer);
  for (size_t i = 0; i < records; ++i, ++record) {
    if (record->events & POLLREMOVE) {
      masks->erase(record->fd);
    } else if (is_open(record->fd)) {
      (*masks)[record->fd] |= record->events;
    }
  }
  return ssize_t(size);
}

extern "C" int devpoll_emulation_ioctl(int fd, unsigned long request, ...) {
  va_list arguments;
  va_start(arguments, request);
  void* argument = va_arg(arguments, void*);
  va_end(arguments);
  bool emulated;
  {
    std::lock_guard<std::mutex> lock(state().mutex);
    emulated = device(fd) != nullptr;
  }
  if (!emulated) return ::ioctl(fd, request, argument);
  if (request != DP_POLL) return fail(EINVAL);
  return dp_poll(fd, static_cast<dvpoll*>(argument));
}

// For tests: the mask a /dev/poll descriptor holds for `fd` (-1 when it holds none).
extern "C" int devpoll_emulation_mask(int devpoll_fd, int fd) {
  std::lock_guard<std::mutex> lock(state().mutex);
  const std::map<int, short>* masks = device(devpoll_fd);
  if (!masks) return -1;
  const auto found = masks->find(fd);
  return found == masks->end() ? -1 : found->second;
}

// For tests: how many write() calls reached an emulated /dev/poll so far.
extern "C" int devpoll_emulation_write_count() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().writes;
}
