// The bookkeeping every backend shares (Python's _BaseSelectorImpl): the descriptor-to-key
// table, resolving file objects, the contract's checks and their order, the select() timeout
// loop, interpreting what a backend's wait returns, the wakeup channel, and the result
// buffer. Backends only talk to their kernel object (lib/backend.h).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <string>
#include <system_error>
#include <thread>

#include "lib/backend.h"
#include "lib/growth.h"
#include "lib/selectors.h"
#include "lib/waker.h"

namespace seltool {

selector_closed::selector_closed() : std::logic_error("Selector is closed") {}

namespace {

void validate_events(Events events) {
  if (events == 0 || (events & ~(EVENT_READ | EVENT_WRITE)) != 0) {
    throw std::invalid_argument("Invalid events: " + std::to_string(events) +
                                " (expected EVENT_READ, EVENT_WRITE or both)");
  }
}

std::string describe(int fd) { return "file descriptor " + std::to_string(fd); }

}  // namespace

Selector::Selector(std::unique_ptr<Backend> backend)
    : backend_(std::move(backend)), waker_(backend_->make_waker()), wakeup_fd_(waker_->fd()) {
  merge_reports_ = backend_->traits().may_report_a_descriptor_twice;
  if (wakeup_fd_ < 0) return;  // an event of the kernel object, registered by the waker
  try {
    backend_->add(wakeup_fd_, EVENT_READ, token::wakeup(wakeup_fd_));
  } catch (const std::invalid_argument& refused) {
    // The backend cannot watch a descriptor this high (select: FD_SETSIZE) because every
    // lower one is taken: the selector cannot be created, rather than fail at every select().
    throw std::system_error(EMFILE, std::generic_category(),
                            std::string("wakeup channel: ") + refused.what());
  }
}

std::unique_ptr<Selector> detail::make_selector_over(std::unique_ptr<Backend> backend) {
  return std::unique_ptr<Selector>(new Selector(std::move(backend)));
}

Selector::~Selector() { close(); }

std::string_view Selector::name() const noexcept { return backend_->name(); }

const BackendTraits& Selector::traits() const noexcept { return backend_->traits(); }

bool Selector::reported_by_last_select(const Slot& slot) const noexcept {
  if (slot.ready_index >= ready_.size()) return false;
  const detail::ReadyEntry& entry = ready_[slot.ready_index];
  return entry.fd == slot.key->fd && entry.generation == slot.generation;
}

// Python's _fileobj_lookup: the object's descriptor, or, when it has none any more, the
// descriptor it was registered with (found by identity).
int Selector::resolve(const FileObject& fileobj) const {
  const int fd = fileobj.fileno();
  if (fd >= 0) return fd;
  if (fileobj.is_object()) {
    for (const Slot& slot : slots_) {
      if (slot.key && slot.key->fileobj.same_object(fileobj)) return slot.key->fd;
    }
    throw std::invalid_argument("Invalid file object: its descriptor is " + std::to_string(fd) +
                                " (closed?) and it is not registered");
  }
  throw std::invalid_argument("Invalid file descriptor: " + std::to_string(fd));
}

Selector::Slot& Selector::registered_slot(const FileObject& fileobj) {
  const int fd = resolve(fileobj);
  Slot* slot = find(fd);
  if (!slot) throw not_registered(describe(fd) + " is not registered");
  return *slot;
}

const SelectorKey* Selector::lookup(const FileObject& fileobj) const {
  const Slot* slot = find(resolve(fileobj));
  return slot ? slot->key.get() : nullptr;
}

const SelectorKey& Selector::register_file(FileObject fileobj, Events events, std::any data) {
  check_open();
  validate_events(events);
  const int fd = resolve(fileobj);
  if (find(fd)) throw already_registered(describe(fd) + " is already registered");
  if (fd == wakeup_fd_) {
    throw already_registered(describe(fd) + " is the selector's own wakeup channel");
  }
  auto key = std::make_unique<SelectorKey>(SelectorKey{fileobj, fd, events, std::move(data)});
  // The backend first: it refuses descriptor numbers that cannot be open (EBADF, FD_SETSIZE)
  // before the descriptor-indexed table grows to their size.
  const bool grows = std::size_t(fd) >= slots_.size();
  bool always_ready = false;
  try {
    backend_->add(fd, events, token::make(fd, grows ? 0 : slots_[fd].generation));
  } catch (const std::system_error& error) {
    if (!accept_always_ready_ || !backend_->refuses_never_blocking(error.code().value())) throw;
    always_ready = true;
  }
  try {
    if (grows) grow_to(slots_, std::size_t(fd) + 1);
    if (always_ready) always_ready_fds_.push_back(fd);
  } catch (...) {
    if (!always_ready)
      backend_->remove(fd, events, token::make(fd, grows ? 0 : slots_[fd].generation));
    throw;
  }
  Slot& slot = slots_[fd];
  slot.key = std::move(key);
  ++registered_;
  ++mutations_;
  return *slot.key;
}

SelectorKey Selector::unregister(FileObject fileobj) {
  check_open();
  Slot& slot = registered_slot(fileobj);
  // The callback running now may be the data of a key in the last select() result: such a key
  // is kept until the next select() and the caller gets a copy. Copying and reserving may
  // throw, so they come before any change.
  const bool in_use = reported_by_last_select(slot);
  if (in_use) retired_keys_.reserve(retired_keys_.size() + 1);
  SelectorKey removed = in_use ? SelectorKey(*slot.key) : SelectorKey(std::move(*slot.key));
  if (is_always_ready(removed.fd)) {
    forget_always_ready(removed.fd);
  } else {
    backend_->remove(removed.fd, removed.events, token::make(removed.fd, slot.generation));
  }
  if (in_use) {
    retired_keys_.push_back(std::move(slot.key));
  } else {
    slot.key.reset();
  }
  // The next registration of this descriptor gets another token (never a reserved one).
  slot.generation = token::next_generation(slot.generation);
  --registered_;
  ++mutations_;
  return removed;
}

const SelectorKey& Selector::modify(FileObject fileobj, Events events, std::any data) {
  check_open();
  validate_events(events);
  Slot& slot = registered_slot(fileobj);
  SelectorKey& key = *slot.key;
  const bool in_use = reported_by_last_select(slot);
  if (in_use) retired_data_.reserve(retired_data_.size() + 1);  // may throw: before any change
  if (events != key.events) {
    if (!is_always_ready(key.fd)) {
      backend_->modify(key.fd, key.events, events, token::make(key.fd, slot.generation));
    }
    key.events = events;
  }
  if (in_use) retired_data_.push_back(std::move(key.data));  // may be the running callback
  key.data = std::move(data);
  ++mutations_;
  return key;
}

const SelectorKey& Selector::get_key(FileObject fileobj) const {
  check_open();
  return map_.at(fileobj);
}

const SelectorMap& Selector::get_map() const {
  check_open();
  return map_;
}

std::optional<int> Selector::fileno() const {
  check_open();
  return backend_->fileno();
}

void Selector::accept_always_ready_files(bool enable) {
  check_open();
  accept_always_ready_ = enable;
}

// Linear in the number of always-ready keys (files and devices: a handful; usually none),
// which keeps every slot at 16 bytes.
bool Selector::is_always_ready(int fd) const noexcept {
  return std::find(always_ready_fds_.begin(), always_ready_fds_.end(), fd) !=
         always_ready_fds_.end();
}

void Selector::forget_always_ready(int fd) noexcept {
  *std::find(always_ready_fds_.begin(), always_ready_fds_.end(), fd) = always_ready_fds_.back();
  always_ready_fds_.pop_back();
}

// wakeup() against close() from another thread or a signal handler: each wakeup() counts
// itself in wakeups_running_ before it touches the channel and out afterwards, and does
// nothing once kClosing is set. close() sets kClosing first and releases the channel only
// when no wakeup() is counted in, so no wakeup() can write to a released descriptor number
// that something else has reused meanwhile. Lock-free atomics are async-signal-safe; a
// signal handler's wakeup() on the thread that is in close() sees kClosing and returns.
namespace {
constexpr std::uint32_t kClosing = 1u << 31;
}  // namespace

void Selector::wakeup() noexcept {
  if (wakeups_running_.fetch_add(1) & kClosing) {
    wakeups_running_.fetch_sub(1);
    return;
  }
  waker_->wake();
  wakeups_running_.fetch_sub(1);
}

void Selector::close() noexcept {
  if (closed_) return;
  closed_ = true;
  ++mutations_;
  wakeups_running_.fetch_or(kClosing);
  while (wakeups_running_.load() != kClosing) std::this_thread::yield();  // one system call
  waker_->close();
  backend_->close();
  // A callback of the last select() result may be running: its keys live as long as the
  // selector does. Otherwise every key goes now.
  if (!ready_.empty()) retired_slots_ = std::move(slots_);
  slots_.clear();
  slots_.shrink_to_fit();
  registered_ = 0;
  always_ready_fds_ = {};
  ready_.clear();
}

// In place: the raw events from `first` on become the result's entries, in the order the
// backend gave them, without those of ended registrations and the wakeup channel, and with
// the reports of one descriptor merged into its first entry (only where the backend may
// report one twice). On every select(): inline, the result buffer's bounds read once.
inline bool Selector::interpret(std::size_t first) {
  bool all_current = true;
  detail::ReadyEntry* const result = ready_.data();
  const std::size_t count = ready_.size();
  // Read once: the stores below are of ints, which the compiler could not tell apart.
  Slot* const table = slots_.data();
  const std::size_t table_size = slots_.size();
  const bool merge = merge_reports_;
  std::size_t kept = first;
  for (std::size_t i = first; i < count; ++i) {
    const detail::ReadyEntry event = result[i];  // a copy: result[kept] may be the same
    const std::size_t fd = std::size_t(unsigned(event.fd));
    if (fd >= table_size || !table[fd].key) {
      // The wakeup channel's descriptor is never a caller's (its token's, -1 for an event of
      // the kernel object): recognised here, and only here.
      if (event.fd == wakeup_fd_) {
        note_wakeup();
      } else {
        all_current = false;  // unregistered since the backend saw it
      }
      continue;
    }
    Slot& slot = table[fd];
    if (event.generation != slot.generation && event.generation != token::kAnyGeneration) {
      all_current = false;  // of an earlier registration of this descriptor
      continue;
    }
    // Nothing the key asks for (a one-shot report may predate a modify()): dropped here, as
    // the result's iterator relies on every entry having some until a callback changes the
    // table. The events stay as reported: the iterator masks them by the key's events then.
    if ((event.events & slot.key->events) == 0) continue;
    if (merge && slot.ready_index < kept && result[slot.ready_index].fd == event.fd) {
      result[slot.ready_index].events |= event.events;
      result[slot.ready_index].conditions |= event.conditions;
      continue;
    }
    // In place (the same entry while nothing was dropped or merged).
    result[kept] = {event.fd, slot.generation, event.events, event.conditions};
    slot.ready_index = std::uint32_t(kept++);
  }
  ready_.resize(kept);
  return all_current;
}

ReadyList Selector::select() { return select_until(std::nullopt); }

ReadyList Selector::select(double timeout_seconds) {
  if (std::isnan(timeout_seconds)) throw std::invalid_argument("Invalid timeout: NaN");
  if (timeout_seconds >= double(max_timeout.count())) return select_until(std::nullopt);
  if (timeout_seconds <= 0) {  // straight to the hot path when it applies: one call less
    return always_ready_fds_.empty() ? poll_now() : select_until(std::chrono::nanoseconds(0));
  }
  return select_until(std::chrono::nanoseconds(std::int64_t(std::ceil(timeout_seconds * 1e9))));
}

// select(0) with nothing always ready: one wait, no clock, no retry (the hot path of a
// loop that polls).
ReadyList Selector::poll_now() {
  start_select();
  may_block_ = false;
  backend_->wait(std::chrono::nanoseconds(0), watched(), ready_);
  if (!interpret(0) && backend_->reset_after_stale_events()) add_all_again();
  return ReadyList(&slots_, ready_.data(), ready_.size(), &mutations_);
}

// What every select() does first: the previous result and what it kept alive go.
void Selector::start_select() {
  check_open();
  ready_.clear();
  retired_keys_.clear();
  retired_data_.clear();
  woken_ = false;
}

ReadyList Selector::select_until(std::optional<std::chrono::nanoseconds> timeout) {
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::nanoseconds zero(0);
  if (timeout && *timeout <= zero && always_ready_fds_.empty()) return poll_now();
  start_select();
  if (timeout && *timeout < zero) *timeout = zero;
  // Descriptors that are always ready are ready now: the kernel is only polled.
  if (!always_ready_fds_.empty()) {
    timeout = zero;
    for (const int fd : always_ready_fds_) {
      slots_[fd].ready_index = std::uint32_t(ready_.size());
      ready_.push_back({fd, slots_[fd].generation, slots_[fd].key->events, 0});
    }
  }
  may_block_ = !timeout || *timeout > zero;
  // The clock is read only for a positive timeout, and after that only when a wait comes
  // back with nothing: select(0) and a wait that finds events cost no clock reads.
  const Clock::time_point deadline =
      timeout && *timeout > zero ? Clock::now() + *timeout : Clock::time_point::max();
  std::optional<std::chrono::nanoseconds> remaining = timeout;
  const std::size_t first_raw = ready_.size();
  for (;;) {
    backend_->wait(remaining, watched(), ready_);
    if (!interpret(first_raw) && backend_->reset_after_stale_events()) add_all_again();
    if (!ready_.empty() || woken_ || remaining == zero) break;
    // An early return with nothing (EINTR, or a wait longer than the system call takes) is
    // retried with what is left of the timeout (PEP 475).
    if (timeout) {
      const Clock::time_point now = Clock::now();
      if (now >= deadline) break;
      remaining = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
    }
  }
  return ReadyList(&slots_, ready_.data(), ready_.size(), &mutations_);
}

void Selector::note_wakeup() noexcept {
  if (may_block_) {
    waker_->consume();
    woken_ = true;
  } else {
    waker_->keep();  // a select() that cannot block leaves the wakeup to the next one
  }
}

void Selector::add_all_again() noexcept {
  // A descriptor that cannot be added any more (closed without being unregistered) has no
  // file to watch, and unregister() ignores the kernel's answer anyway.
  auto add = [&](int fd, Events events, Token token) {
    try {
      backend_->add(fd, events, token);
    } catch (const std::exception&) {
    }
  };
  if (wakeup_fd_ >= 0) add(wakeup_fd_, EVENT_READ, token::wakeup(wakeup_fd_));
  for (std::size_t fd = 0; fd < slots_.size(); ++fd) {
    const Slot& slot = slots_[fd];
    if (slot.key && !is_always_ready(int(fd))) {
      add(int(fd), slot.key->events, token::make(int(fd), slot.generation));
    }
  }
}

// ---------------------------------------------------------------------------------------
// ReadyList

std::size_t ReadyList::size() const {
  std::size_t count = 0;
  for (auto it = begin(); it != end(); ++it) ++count;
  return count;
}

// ---------------------------------------------------------------------------------------
// SelectorMap

const SelectorKey& SelectorMap::iterator::operator*() const { return *selector_->slots_[fd_].key; }

void SelectorMap::iterator::skip_empty() {
  while (fd_ < selector_->slots_.size() && !selector_->slots_[fd_].key) ++fd_;
}

std::size_t SelectorMap::size() const { return selector_->registered_; }

SelectorMap::iterator SelectorMap::begin() const { return {selector_, 0}; }

SelectorMap::iterator SelectorMap::end() const { return {selector_, selector_->slots_.size()}; }

const SelectorKey& SelectorMap::at(FileObject fileobj) const {
  const SelectorKey* key = get(fileobj);
  if (!key) {
    throw not_registered(describe(fileobj.fileno()) + " is not registered");
  }
  return *key;
}

const SelectorKey* SelectorMap::get(FileObject fileobj) const { return selector_->lookup(fileobj); }

}  // namespace seltool
