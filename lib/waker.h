// The wakeup channel behind Selector::wakeup(): one primitive per OS, each in its own file,
// created close-on-exec and non-blocking in the same system call wherever the OS can:
//   waker_linux.cc    an eventfd (one descriptor);
//   waker_pipe.cc     a pipe elsewhere on POSIX (open_wakeup_pipe() per OS, see there);
//   waker_windows.cc  a connected pair of loopback sockets (select() watches sockets only);
//   kqueue_selector.cc  EVFILT_USER on the kqueue itself, where the kernel has it.
// The core guarantees that wake() never runs once close() has begun (see selector.cc).
#pragma once

#include <memory>

namespace seltool {

class Waker {
 public:
  virtual ~Waker() = default;
  // The descriptor the core registers for reading under token::wakeup(fd), like any
  // registration; or -1 when the channel is an event of the kernel object itself (kqueue's
  // EVFILT_USER, which the waker registers under token::wakeup(-1)).
  virtual int fd() const noexcept = 0;
  // Makes the channel ready. From any thread or a signal handler (async-signal-safe);
  // preserves errno. A channel that is ready already stays so (wakeups coalesce).
  virtual void wake() noexcept = 0;
  // A select() that may block saw the wakeup: the channel stops being ready.
  virtual void consume() noexcept = 0;
  // A select() that cannot block saw the wakeup: it stays pending for the next one.
  virtual void keep() noexcept {}
  // Releases every descriptor of the channel; idempotent.
  virtual void close() noexcept = 0;
};

// The OS's descriptor wakeup channel (eventfd, pipe or socket pair). Throws std::system_error
// when it cannot be created.
std::unique_ptr<Waker> make_descriptor_waker();

// For waker_pipe.cc: a pipe, both ends close-on-exec and non-blocking, in ends[0] (read) and
// ends[1] (write); defined per OS (pipe2() where it exists). Throws std::system_error.
void open_wakeup_pipe(int ends[2]);

}  // namespace seltool
