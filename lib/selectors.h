// seltool: Python's `selectors` module (high-level I/O multiplexing) in C++17.
//
// A selector watches descriptors for readiness. Register a descriptor (or any object that
// exposes one) with the events it waits for, then call select() to learn which are ready:
//
//   auto selector = seltool::make_default_selector();
//   selector->register_file(sock, seltool::EVENT_READ, std::function<void()>(on_readable));
//   for (auto [key, events] : selector->select()) {
//     std::any_cast<const std::function<void()>&>(key.data)();
//   }
//
// Python's documented behaviour is the specification: the same errors in the same order, the
// same timeout rules (wait at least the given time; zero or negative never blocks), closed
// descriptors can still be unregistered, EINTR is retried with the remaining time. Where
// Python is weak, this library does better; each such place says "Deviation" below.
//
// Errors (Python exception -> C++ exception):
//   ValueError   -> std::invalid_argument      bad event mask, negative descriptor, ...
//   KeyError     -> seltool::key_error         (std::out_of_range) and its two subclasses
//                   not_registered, already_registered
//   RuntimeError -> seltool::selector_closed   (std::logic_error) any use after close()
//   OSError      -> std::system_error          code() holds the errno (generic_category)
//
// Threads: a selector is used by one thread at a time; only wakeup() may be called from any
// thread or from a signal handler while another thread is blocked in select().
#pragma once

#include <any>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "lib/selectors_detail.h"  // internals of the inline code below; not the API

namespace seltool {

// ---------------------------------------------------------------------------------------
// Events

using Events = unsigned;
inline constexpr Events EVENT_READ = 1u << 0;
inline constexpr Events EVENT_WRITE = 1u << 1;

// What the backend said besides readiness. Python folds these into EVENT_READ/EVENT_WRITE
// and so does this library (see Ready::events); Ready::conditions keeps them visible.
using Conditions = unsigned;
inline constexpr Conditions CONDITION_HANGUP = 1u << 0;    // POLLHUP, EPOLLHUP, EV_EOF
inline constexpr Conditions CONDITION_ERROR = 1u << 1;     // POLLERR, POLLNVAL, EPOLLERR, EV_ERROR
inline constexpr Conditions CONDITION_PRIORITY = 1u << 2;  // POLLPRI, EPOLLPRI

// ---------------------------------------------------------------------------------------
// Errors

// Python's KeyError: the descriptor is not registered, or is registered already.
class key_error : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};
class not_registered : public key_error {
 public:
  using key_error::key_error;
};
class already_registered : public key_error {
 public:
  using key_error::key_error;
};

// Python's RuntimeError('Selector is closed'). Deviation: Python raises it only from
// get_key(); here every operation of a closed selector raises it, on every backend.
class selector_closed : public std::logic_error {
 public:
  selector_closed();
};

// ---------------------------------------------------------------------------------------
// File objects

// A descriptor as the library's int, the descriptor type of the whole API on every OS: a POSIX
// descriptor is an int already; a Windows SOCKET is a 64-bit unsigned handle whose value Windows
// keeps within 32 bits (handles are shared with 32-bit processes), in practice far below INT_MAX.
// Every value of a type wider than int is checked, never cut: INVALID_SOCKET (all bits set) and
// other negative values are -1 (no descriptor: a closed object), and a value above INT_MAX throws
// std::out_of_range.
template <typename Handle>
constexpr int descriptor_from(Handle handle) {
  static_assert(std::is_integral_v<Handle>, "a descriptor or handle is an integer");
  if constexpr (sizeof(Handle) < sizeof(int) ||
                (sizeof(Handle) == sizeof(int) && std::is_signed_v<Handle>)) {
    return int(handle);
  } else {
    if (std::is_signed_v<Handle> && handle < Handle(0)) return -1;
    if (handle == Handle(~Handle(0))) return -1;  // INVALID_SOCKET
    if (std::make_unsigned_t<Handle>(handle) > std::make_unsigned_t<Handle>(INT_MAX)) {
      throw std::out_of_range("descriptor or handle " + std::to_string(handle) +
                              " does not fit the library's int descriptors");
    }
    return int(handle);
  }
}

// What Python calls a "file object": a raw descriptor, or a reference to any object with a
// `fileno()` or `native_handle()` member returning its descriptor (negative once closed).
//
// An object is referred to, not copied: it must outlive its registration, as in Python where
// the selector keeps the object alive. Because the selector remembers which object was
// registered, an object whose descriptor was closed (fileno() < 0) can still be looked up,
// modified and unregistered (Python's identity fallback).
class FileObject {
 public:
  FileObject(int fd) noexcept : fd_(fd) {}  // NOLINT: implicit, as Python accepts ints
  // A descriptor of a wider integer type (a Windows SOCKET): checked, never cut
  // (descriptor_from; throws std::out_of_range).
  template <typename Handle, typename = std::enable_if_t<std::is_integral_v<Handle> &&
                                                         (sizeof(Handle) > sizeof(int))>>
  FileObject(Handle handle)  // NOLINT: implicit, as Python accepts ints
      : fd_(descriptor_from(handle)) {}

  // FileObject has a fileno() itself: it is excluded so that copying one stays a copy.
  template <typename T,
            typename = std::enable_if_t<
                !std::is_arithmetic_v<T> && !std::is_same_v<std::remove_cv_t<T>, FileObject> &&
                (detail::has_fileno<T>::value || detail::has_native_handle<T>::value)>>
  FileObject(T& object) noexcept  // NOLINT: implicit, as Python accepts any file object
      : object_(&object), descriptor_of_(&descriptor_of<T>) {}

  // The descriptor now: the raw int, or what the object reports (negative when closed).
  int fileno() const { return descriptor_of_ ? descriptor_of_(object_) : fd_; }

  // True when this refers to an object (not a raw int); `same_object` compares identity.
  bool is_object() const noexcept { return descriptor_of_ != nullptr; }
  bool same_object(const FileObject& other) const noexcept {
    return is_object() && other.is_object() && object_ == other.object_;
  }

 private:
  template <typename T>
  static int descriptor_of(const void* object) {
    const T& typed = *static_cast<const T*>(object);
    if constexpr (detail::has_fileno<T>::value) {
      return descriptor_from(typed.fileno());
    } else {
      return descriptor_from(typed.native_handle());
    }
  }

  union {  // which one: descriptor_of_ is set for an object (a key is 40 bytes, not 48)
    int fd_;
    const void* object_;
  };
  int (*descriptor_of_)(const void*) = nullptr;
};

// ---------------------------------------------------------------------------------------
// Keys and results

// Python's SelectorKey: what was registered, as the caller gave it.
struct SelectorKey {
  FileObject fileobj;  // exactly what was passed to register_file()
  int fd;              // the descriptor it resolved to at registration
  Events events;       // the events asked for
  std::any data;       // the caller's data, untouched (Python's `data`, default empty)
};

// One entry of a select() result. Binds like Python's `(key, events)` tuple:
//   for (auto [key, events] : selector.select()) ...
struct Ready {
  const SelectorKey& key;
  Events events;          // EVENT_READ/EVENT_WRITE, masked by key.events when reached; not 0
  Conditions conditions;  // hangup/error/priority as the backend reported them
};

// ---------------------------------------------------------------------------------------
// Backend traits

// How backends differ, as data (CPython states such differences as class attributes of its
// selector classes). Ask a selector's traits() (or BackendInfo::traits) instead of comparing
// names: a new backend states its own, and nothing that asks has to change.
struct BackendTraits {
  // fileno() returns a kernel object's descriptor (epoll, kqueue, /dev/poll, io_uring);
  // std::nullopt otherwise (select, poll).
  bool has_kernel_object = false;
  // register_file() of a descriptor that is not open fails with std::system_error (EBADF;
  // Winsock: WSAENOTSOCK, system_category).
  // Otherwise it is accepted and surfaces at select(): see the next two.
  bool refuses_closed_descriptors = false;
  // A registered descriptor that is not open is reported by select() as ready for the
  // events its key asks for, with CONDITION_ERROR (poll: POLLNVAL).
  bool reports_closed_descriptors = false;
  // select() fails with std::system_error (EBADF) while a registered descriptor is not open
  // (select, as Python).
  bool select_fails_on_closed_descriptors = false;
  // Regular files are accepted and reported ready (epoll refuses them: EPERM; see
  // Selector::accept_always_ready_files()).
  bool watches_regular_files = false;
  // modify() of the events reaches the kernel at once, so it fails (EBADF) for a descriptor
  // closed since registration. /dev/poll queues changes until select(); poll and select
  // keep them in user space.
  bool modify_reaches_kernel = false;
  // The kernel keys a registration by descriptor number and open file (epoll): once the
  // number names another file, modify() fails (ENOENT), while the registered file, kept open
  // by a duplicate, can still become ready.
  bool keys_by_open_file = false;
  // A peer's hangup comes with CONDITION_HANGUP (select() has no conditions at all).
  bool reports_hangup = false;
  // Descriptors at or above select_fd_setsize() are refused (std::invalid_argument): POSIX
  // select()'s fd_set is indexed by descriptor. (Winsock's holds a count of sockets.)
  bool limited_to_fd_setsize = false;
  // A report may describe readiness that ended before select() returned (io_uring: a
  // one-shot poll completes when the descriptor becomes ready, possibly between two select()
  // calls, and a read since then may have drained it). Use non-blocking descriptors there.
  bool may_report_past_readiness = false;
  // One wait of the kernel may report a descriptor in several raw events (one per filter or
  // per batch); the result still has one entry per descriptor, merged by the library.
  bool may_report_a_descriptor_twice = false;
};

class Selector;
class Backend;  // internal (lib/backend.h)
class Waker;    // internal (lib/waker.h)

// The result of select(): a view over the selector's own buffer (no allocation per call),
// valid until the next select() or close(). It protects against stale events: an entry whose
// key was unregistered (or replaced by a new registration of the same descriptor) after
// select() returned is skipped, and an entry's events are masked by the key's current
// events, so a callback that unregisters or modifies other keys is always safe.
// A key in the result, and its data, stay alive until the next select() even when a callback
// unregisters or modifies it or closes the selector, as Python's references keep them: the
// callback that does so may be that key's own data, still running.
class ReadyList {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Ready;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Ready;

    Ready operator*() const { return Ready{*key_, at_->events & key_->events, at_->conditions}; }
    iterator& operator++() {
      ++at_;
      skip_stale();
      return *this;
    }
    iterator operator++(int) {
      iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const { return at_ == other.at_; }
    bool operator!=(const iterator& other) const { return at_ != other.at_; }

   private:
    friend class ReadyList;
    using Entry = detail::ReadyEntry;
    iterator(const ReadyList& list, const Entry* at)
        : slots_(list.slots_),
          at_(at),
          end_(list.entries_ + list.count_),
          mutations_(list.mutations_),
          mutations_at_select_(list.mutations_at_select_) {
      skip_stale();
    }
    // An entry is current when its descriptor is still registered under the same generation
    // and the key still asks for one of its events (a callback may have changed that).
    // select() has checked every entry against the table, so while the table has not changed
    // since (its mutation counter, one load) the entry's key is taken without the check.
    void skip_stale() {
      if (at_ == end_) return;
      if (*mutations_ == mutations_at_select_) {
        key_ = (*slots_)[std::size_t(at_->fd)].key.get();
        return;
      }
      for (; at_ != end_; ++at_) {
        const detail::Slot* slot = detail::find_slot(*slots_, at_->fd);
        if (slot && slot->generation == at_->generation && (at_->events & slot->key->events)) {
          key_ = slot->key.get();
          return;
        }
      }
    }

    const std::vector<detail::Slot>* slots_;  // the selector's table
    const Entry* at_;
    const Entry* end_;
    const std::uint64_t* mutations_;     // the table's mutation counter now
    std::uint64_t mutations_at_select_;  // and when select() returned
    const SelectorKey* key_ = nullptr;   // the key of *at_, found by skip_stale()
  };

  iterator begin() const { return {*this, entries_}; }
  iterator end() const { return {*this, entries_ + count_}; }
  // Number of entries still valid (linear in the number returned).
  std::size_t size() const;
  bool empty() const { return begin() == end(); }
  explicit operator bool() const { return !empty(); }

 private:
  friend class Selector;
  ReadyList(const std::vector<detail::Slot>* slots, const detail::ReadyEntry* entries,
            std::size_t count, const std::uint64_t* mutations)
      : slots_(slots),
        entries_(entries),
        count_(count),
        mutations_(mutations),
        mutations_at_select_(*mutations) {}

  const std::vector<detail::Slot>* slots_;
  const detail::ReadyEntry* entries_;
  std::size_t count_;
  const std::uint64_t* mutations_;
  std::uint64_t mutations_at_select_;
};

// ---------------------------------------------------------------------------------------
// The mapping view (Python's get_map())

// A read-only view of the registered keys, owned by the selector. Empty after close().
// Deviation: iteration yields the keys (ordered by descriptor), where Python's yields fds.
class SelectorMap {
 public:
  class iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = SelectorKey;
    using difference_type = std::ptrdiff_t;
    using pointer = const SelectorKey*;
    using reference = const SelectorKey&;

    reference operator*() const;
    pointer operator->() const { return &**this; }
    iterator& operator++() {
      ++fd_;
      skip_empty();
      return *this;
    }
    bool operator==(const iterator& other) const { return fd_ == other.fd_; }
    bool operator!=(const iterator& other) const { return fd_ != other.fd_; }

   private:
    friend class SelectorMap;
    iterator(const Selector* selector, std::size_t fd) : selector_(selector), fd_(fd) {
      skip_empty();
    }
    void skip_empty();

    const Selector* selector_;
    std::size_t fd_;
  };

  std::size_t size() const;
  bool empty() const { return size() == 0; }
  iterator begin() const;
  iterator end() const;

  // Python's mapping[fileobj]: throws not_registered when absent, std::invalid_argument when
  // `fileobj` is neither a valid descriptor nor a registered object.
  const SelectorKey& at(FileObject fileobj) const;
  // Python's mapping.get(fileobj): nullptr when absent (std::invalid_argument as at()).
  const SelectorKey* get(FileObject fileobj) const;
  bool contains(FileObject fileobj) const { return get(fileobj) != nullptr; }

 private:
  friend class Selector;
  explicit SelectorMap(const Selector* selector) : selector_(selector) {}
  const Selector* selector_;
};

// ---------------------------------------------------------------------------------------
// The selector interface

// Python's BaseSelector, one class over every backend. Create one with make_selector() or
// make_default_selector().
class Selector final {
 public:
  Selector(const Selector&) = delete;
  Selector& operator=(const Selector&) = delete;
  ~Selector();

  // The backend's name: "select", "poll", "epoll", "io_uring", "kqueue", "devpoll" or "afd".
  std::string_view name() const noexcept;

  // What this backend does differently from the others (see BackendTraits). Also after
  // close().
  const BackendTraits& traits() const noexcept;

  // Python's register(). Watches `fileobj` for `events` (EVENT_READ and/or EVENT_WRITE) and
  // returns the new key, valid until it is unregistered or the selector closed.
  // Throws, checked in this order:
  //   selector_closed;
  //   std::invalid_argument  events is 0 or has other bits; the descriptor is negative;
  //                          (select backend) the descriptor is >= FD_SETSIZE;
  //   already_registered     the descriptor is registered, even through another object;
  //   std::system_error      the kernel refused it: epoll gives EPERM for regular files and
  //                          EBADF for closed descriptors, io_uring EBADF for closed
  //                          descriptors, kqueue EBADF/EINVAL/ENODEV (FreeBSD: EPIPE for
  //                          writing to a pipe whose reader is gone),
  //                          devpoll EBADF for closed descriptors (which its driver would
  //                          skip), or the error of writing out a full change queue.
  //                          select and poll accept closed descriptors and report them later,
  //                          except that poll gives EBADF for a closed one at or above
  //                          RLIMIT_NOFILE (no descriptor of this process can have it).
  // Deviation: on any failure neither the map nor the kernel is changed.
  const SelectorKey& register_file(FileObject fileobj, Events events, std::any data = {});

  // Python's unregister(). Stops watching and returns the removed key. Works after the
  // descriptor was closed, or closed and its number reused (kernel errors are ignored).
  // Throws selector_closed; not_registered; std::invalid_argument (negative descriptor that
  // is not a registered object). For a key in the last select() result the returned key holds
  // a copy of `data`; the original lives until the next select() (see ReadyList).
  SelectorKey unregister(FileObject fileobj);

  // Python's modify(). Changes the events and/or data of a registered descriptor and returns
  // the key (the same object register_file() returned, updated in place). Changing only the
  // data makes no system call.
  // Throws selector_closed; std::invalid_argument (as register_file); not_registered;
  // std::system_error from the kernel.
  // Deviation: Python validates the new mask only on some backends and, when the kernel call
  // fails, loses the registration (select/kqueue) or leaves the kernel registered (bpo-30014).
  // Here the mask is always validated first and a failure leaves key and kernel unchanged.
  const SelectorKey& modify(FileObject fileobj, Events events, std::any data = {});

  // Python's select(timeout). Waits until at least one registered descriptor is ready, the
  // timeout passes, or wakeup() is called, and returns the ready ones (one entry per
  // descriptor, with both bits when it is readable and writable).
  //   select()            blocks without limit;
  //   select(seconds)     waits at least `seconds` (rounded up to the backend's resolution);
  //                       0 or negative polls without blocking; +infinity blocks; NaN throws
  //                       std::invalid_argument;
  //   select(duration)    the same with a std::chrono duration.
  // Interrupted system calls (EINTR) are retried with the remaining time. Hangups and errors
  // are reported as readiness for the events the key asked for, as in Python.
  // Throws selector_closed; std::system_error (select: EBADF when a registered descriptor was
  // closed, as Python).
  ReadyList select();
  ReadyList select(double timeout_seconds);
  template <typename Rep, typename Period>
  ReadyList select(std::chrono::duration<Rep, Period> timeout) {
    if constexpr (std::is_floating_point_v<Rep>) {
      return select(std::chrono::duration<double>(timeout).count());
    } else if (timeout <= timeout.zero()) {  // before any conversion: it could overflow
      return select_until(std::chrono::nanoseconds(0));
    } else if (std::chrono::duration<double>(timeout) >= max_timeout) {
      return select_until(std::nullopt);
    } else {
      return select_until(std::chrono::ceil<std::chrono::nanoseconds>(timeout));
    }
  }
  // Timeouts this long or longer block without limit (keeps deadline arithmetic exact).
  static constexpr std::chrono::seconds max_timeout{100LL * 365 * 24 * 3600};

  // Makes a select() that is blocked now, or the next one that may block, return promptly
  // (with whatever else is ready). A select(0) neither waits nor uses up a pending wakeup.
  // Safe from any thread and from a signal handler (async-signal-safe); wakeups that arrive
  // before select() runs are coalesced into one. Python has no equivalent.
  // After close() (or while it runs, from another thread) it does nothing: it never writes
  // to a descriptor number that close() released and something else may reuse. The
  // selector object itself must outlive every caller.
  void wakeup() noexcept;

  // Releases every descriptor the selector owns (the kernel object and the wakeup channel)
  // and forgets every key; idempotent. Afterwards every other operation throws
  // selector_closed, and maps obtained earlier are empty. The destructor closes too. Called
  // after a select() that reported something (maybe from a callback), it destroys the keys
  // only with the selector (see ReadyList). It waits for a wakeup() running in another
  // thread (one system call) to finish before releasing the channel.
  void close() noexcept;
  bool closed() const noexcept { return closed_; }

  // Deviation (opt-in; Python's behaviour stays the default): descriptors that can never
  // block are accepted even where the backend's kernel refuses them (epoll: EPERM for regular
  // files, /dev/null and other files without readiness notification; kqueue: EINVAL/ENODEV
  // for such files). POSIX says they are always ready, and select and poll report them so;
  // with this policy every backend does: each select() reports such a key ready for all its
  // events with conditions 0, and then does not block. The keys behave like any other
  // (get_key, modify, unregister, get_map). Affects later registrations only; keys accepted
  // this way stay so until unregistered. kqueue watches regular files itself (readable until
  // the end of the file), so only the files it refuses are always ready there.
  // Throws selector_closed.
  void accept_always_ready_files(bool enable = true);

  // Python's get_key(). Throws selector_closed; not_registered; std::invalid_argument.
  const SelectorKey& get_key(FileObject fileobj) const;

  // Python's get_map(). Throws selector_closed.
  const SelectorMap& get_map() const;

  // The kernel object's descriptor (epoll, io_uring, kqueue, /dev/poll); std::nullopt for select
  // and poll, which have none. Throws selector_closed.
  std::optional<int> fileno() const;

 private:
  friend class SelectorMap;
  friend class SelectorMap::iterator;
  friend std::unique_ptr<Selector> detail::make_selector_over(std::unique_ptr<Backend> backend);

  using Slot = detail::Slot;

  explicit Selector(std::unique_ptr<Backend> backend);

  ReadyList select_until(std::optional<std::chrono::nanoseconds> timeout);
  ReadyList poll_now();
  void start_select();
  void check_open() const {
    if (closed_) throw selector_closed();
  }
  int resolve(const FileObject& fileobj) const;
  // The slot of a registered `fd`, or null (inline: once per raw event).
  Slot* find(int fd) { return const_cast<Slot*>(detail::find_slot(slots_, fd)); }
  const Slot* find(int fd) const { return detail::find_slot(slots_, fd); }
  // The descriptors the kernel watches: the registered ones but the always-ready, and the
  // wakeup channel's.
  std::size_t watched() const noexcept {
    return registered_ - always_ready_fds_.size() + (wakeup_fd_ >= 0);
  }
  Slot& registered_slot(const FileObject& fileobj);
  const SelectorKey* lookup(const FileObject& fileobj) const;
  bool reported_by_last_select(const Slot& slot) const noexcept;
  // Turns the backend's raw events (in ready_ from `first`) into the result; false when some
  // were stale.
  bool interpret(std::size_t first);
  // The wakeup channel was reported ready.
  void note_wakeup() noexcept;
  // Every registration again, into a backend that started over (see Backend).
  void add_all_again() noexcept;
  // Whether `fd` was accepted by accept_always_ready_files(), so is not in the kernel.
  bool is_always_ready(int fd) const noexcept;
  // Takes an always-ready key's descriptor out of always_ready_fds_.
  void forget_always_ready(int fd) noexcept;

  std::vector<Slot> slots_;  // indexed by descriptor: O(1) lookups
  // Advanced by every change of the table or a key (register, unregister, modify, close): a
  // result's iterator checks its entries against the table only once this has moved.
  std::uint64_t mutations_ = 0;
  std::size_t registered_ = 0;
  // Keys accepted by accept_always_ready_files() that the kernel does not watch.
  std::vector<int> always_ready_fds_;
  bool accept_always_ready_ = false;
  std::vector<detail::ReadyEntry> ready_;  // the result buffer, filled by the backend
  bool merge_reports_ = true;  // the backend may report one descriptor in several raw events
  bool woken_ = false;
  bool may_block_ = false;  // this select() has a timeout other than 0
  bool closed_ = false;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Waker> waker_;
  int wakeup_fd_ = -1;  // the wakeup channel's descriptor, -1 when the backend has none
  // wakeup() calls running now, plus kClosing once close() has begun (see selector.cc).
  std::atomic<std::uint32_t> wakeups_running_{0};
  SelectorMap map_{this};
  // What unregister(), modify() and close() took away from keys of the last select() result,
  // kept alive until the next select() (slots after close(): until destruction).
  std::vector<std::unique_ptr<SelectorKey>> retired_keys_;
  std::vector<std::any> retired_data_;
  std::vector<Slot> retired_slots_;
};

// ---------------------------------------------------------------------------------------
// Backends

// What the library knows about one backend on this machine.
struct BackendInfo {
  std::string name;      // "select", "poll", "epoll", "io_uring", "kqueue", "devpoll", "afd"
  bool compiled;         // built into this binary (depends on the target OS)
  bool usable;           // compiled, and a selector could really be created here now
  std::string reason;    // why not usable, empty when usable
  BackendTraits traits;  // the backend's traits when usable (all false otherwise)
};

// Every backend the library knows, in CPython's preference order (kqueue, epoll, io_uring,
// devpoll, poll, select), with availability on this machine (each is probed: created and
// closed). Throws std::system_error when a probe fails for want of descriptors or memory
// (see is_resource_exhaustion()): that says nothing about the backend.
std::vector<BackendInfo> backends();

// Whether `error` means the process or the system ran out of descriptors or memory (EMFILE,
// ENFILE, ENOMEM, ENOBUFS) rather than that a backend cannot work here: the same call may
// succeed later.
bool is_resource_exhaustion(const std::system_error& error) noexcept;

// Names of the backends compiled into this build, in preference order.
std::vector<std::string> compiled_backend_names();

// Creates the named backend. Throws std::invalid_argument for a name that is unknown or not
// compiled in (the message lists those that are); std::system_error when the kernel refuses
// (e.g. epoll_create1 failing with ENOSYS in a sandbox).
std::unique_ptr<Selector> make_selector(std::string_view name);

// Python's DefaultSelector: the most efficient backend that really works here, probed once
// at first use the way CPython's _can_use() does (a backend whose creation fails, e.g.
// epoll under a seccomp filter, is skipped). Deviation: a probe that fails for want of
// descriptors or memory throws that std::system_error instead of settling for a lesser
// backend for the rest of the process.
std::unique_ptr<Selector> make_default_selector();
std::string default_selector_name();

// FD_SETSIZE of the select backend: descriptors at or above it cannot be watched by select.
int select_fd_setsize() noexcept;

}  // namespace seltool

// Tuple-like access so that `auto [key, events] = ready;` works like Python's
// `key, events = ready` (conditions stay reachable as ready.conditions).
namespace std {
template <>
struct tuple_size<seltool::Ready> : integral_constant<size_t, 2> {};
template <>
struct tuple_element<0, seltool::Ready> {
  using type = const seltool::SelectorKey&;
};
template <>
struct tuple_element<1, seltool::Ready> {
  using type = seltool::Events;
};
}  // namespace std

namespace seltool {
template <std::size_t I>
decltype(auto) get(const Ready& ready) {
  if constexpr (I == 0) {
    return (ready.key);
  } else {
    return ready.events;
  }
}
}  // namespace seltool
