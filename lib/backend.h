// The internal boundary between the shared core (selector.cc, Python's _BaseSelectorImpl) and
// the backends, one per file. Data flows one way: the core tells a backend what to watch and
// asks it to wait; the wait fills raw events (token, events, conditions), which the core
// interprets (keys, stale events, the wakeup channel, merging). A backend never calls the core.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "lib/selectors.h"
#include "lib/waker.h"

namespace seltool {

// What the core hands a backend with each registration, and wants back with its events: the
// descriptor in the low 32 bits, the registration's generation in the high 32 (events of an
// ended registration carry an old generation and are dropped). The encoding lives here only.
// The wakeup channel is registered like any descriptor, under a token whose generation is
// reserved (token::wakeup()); backends treat it as any other, the core recognises it.
using Token = std::uint64_t;
namespace token {

// The generation of a token that names a descriptor only: backends whose kernel keeps no
// token (select, poll, kqueue, /dev/poll) report the descriptor, whatever its registration.
inline constexpr std::uint32_t kAnyGeneration = UINT32_MAX;
// The generation of the wakeup channel's token; no registration of a caller's has it.
inline constexpr std::uint32_t kWakeupGeneration = UINT32_MAX - 1;

constexpr Token make(int fd, std::uint32_t generation) noexcept {
  return (Token(generation) << 32) | std::uint32_t(fd);
}
constexpr int fd(Token token) noexcept { return int(std::uint32_t(token)); }
constexpr std::uint32_t generation(Token token) noexcept { return std::uint32_t(token >> 32); }
constexpr Token of_descriptor(int fd) noexcept { return make(fd, kAnyGeneration); }
// The wakeup channel's registration: its descriptor (never registered by the caller, who is
// refused it), or -1 for a channel that is an event of the kernel object itself (kqueue's
// EVFILT_USER, registered by its waker with this token).
constexpr Token wakeup(int fd) noexcept { return make(fd, kWakeupGeneration); }
// The generation a registration gets after `generation` (never a reserved one).
constexpr std::uint32_t next_generation(std::uint32_t generation) noexcept {
  return generation + 1 >= kWakeupGeneration ? 0 : generation + 1;
}

}  // namespace token

// One readiness report of a backend's wait: a result entry (the type the result's inline
// iterator reads, lib/selectors_detail.h), its descriptor and generation from a token (as
// given to add()/modify(), or token::of_descriptor(fd)). The core turns the raw events into
// the result in place: no second buffer, no copy.
using RawEvent = detail::ReadyEntry;
inline RawEvent raw_event(Token token, Events events, Conditions conditions) noexcept {
  return {token::fd(token), token::generation(token), events, conditions};
}

// One kernel object. Every operation but close() is called on an open backend only.
class Backend {
 public:
  virtual ~Backend() = default;

  // "select", "poll", "epoll", "io_uring", "kqueue", "devpoll", "afd".
  virtual std::string_view name() const noexcept = 0;

  // What the backend does differently from the others (a constant of its file).
  virtual const BackendTraits& traits() const noexcept = 0;

  // The wakeup channel. The core adds its descriptor (fd() >= 0) with add(), for reading,
  // under token::wakeup(fd), like any registration. kqueue returns one built on its own
  // kernel object (EVFILT_USER, fd() == -1), registered by the waker under token::wakeup(-1)
  // and reported by wait() like any other event.
  virtual std::unique_ptr<Waker> make_waker() { return make_descriptor_waker(); }

  // Starts watching `fd` (not watched yet) for `events`. Throws std::system_error or
  // std::invalid_argument; on failure nothing has changed.
  virtual void add(int fd, Events events, Token token) = 0;
  // Changes the events of a watched `fd`; on failure nothing has changed.
  virtual void modify(int fd, Events old_events, Events new_events, Token token) = 0;
  // Stops watching `fd`, ignoring errors: the descriptor may be closed or reused.
  virtual void remove(int fd, Events events, Token token) noexcept = 0;

  // One wait of at most `timeout` (nullopt: no limit), appending to `events` (empty on entry)
  // what is ready among the `watched` descriptors (the wakeup channel's included). It may
  // return early with nothing: on EINTR, or when its system call cannot express the whole
  // time; the core then waits again for what is left. Other failures throw std::system_error.
  virtual void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t watched,
                    std::vector<RawEvent>& events) = 0;

  // True when add() failing with `error` means the file has no readiness notification
  // because it can never block (see Selector::accept_always_ready_files()).
  virtual bool refuses_never_blocking(int /*error*/) const noexcept { return false; }

  // Called when the last wait returned events of ended registrations. A backend whose kernel
  // keeps reporting them (epoll: a closed descriptor whose file lives on in a dup) starts
  // over with an empty kernel object and returns true; the core then adds every current
  // registration again. Throws std::system_error (nothing has changed then).
  virtual bool reset_after_stale_events() { return false; }

  // Releases the kernel object (and everything else held); idempotent.
  virtual void close() noexcept = 0;

  // The kernel object's descriptor (epoll, kqueue, /dev/poll), if any.
  virtual std::optional<int> fileno() const noexcept { return std::nullopt; }
};

// A selector over `backend` (lib/selectors_detail.h; defined in selector.cc). Throws what
// adding the wakeup channel throws.
using detail::make_selector_over;

}  // namespace seltool
