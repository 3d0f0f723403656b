// Internals of lib/selectors.h: what its inline code (the result's iterator, FileObject) and
// the private part of Selector need. Not part of the API: users include lib/selectors.h, and
// nothing here is stable. Inline on purpose: the result's iterator checks each ready entry
// here, once per ready descriptor, without a call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace seltool {

struct SelectorKey;
class Selector;
class Backend;  // lib/backend.h

namespace detail {

// Whether a type has `fileno()` or `native_handle()` returning a descriptor (FileObject).
template <typename T, typename = void>
struct has_fileno : std::false_type {};
template <typename T>
struct has_fileno<T, std::void_t<decltype(int(std::declval<const T&>().fileno()))>>
    : std::true_type {};
template <typename T, typename = void>
struct has_native_handle : std::false_type {};
template <typename T>
struct has_native_handle<T, std::void_t<decltype(int(std::declval<const T&>().native_handle()))>>
    : std::true_type {};

// One entry of a select() result. A backend's wait appends these (lib/backend.h calls them
// RawEvent and builds them from a token); the core turns them into the result in place.
struct ReadyEntry {
  // Left uninitialised (not zeroed) when the buffer grows: a backend's wait resizes it and
  // then writes every new entry.
  ReadyEntry() noexcept {}  // NOLINT: not = default, which would zero on value-initialisation
  ReadyEntry(int fd, std::uint32_t generation, unsigned events, unsigned conditions) noexcept
      : fd(fd), generation(generation), events(events), conditions(conditions) {}

  int fd;
  std::uint32_t generation;  // of the registration that was reported
  unsigned events;           // Events
  unsigned conditions;       // Conditions
};

// One entry of the selector's descriptor-indexed table.
struct Slot {
  std::unique_ptr<SelectorKey> key;  // null when the descriptor is not registered
  std::uint32_t generation = 0;      // advanced when a registration ends: stale-event guard
  // Where this descriptor's entry of the last select() is in the result buffer, if it has
  // one (checked against the entry there: no per-round reset is needed).
  std::uint32_t ready_index = 0;
};

// The slot of a registered `fd`, or null. Runs once per raw event and once per result entry.
inline const Slot* find_slot(const std::vector<Slot>& slots, int fd) {
  if (std::size_t(unsigned(fd)) >= slots.size() || !slots[std::size_t(fd)].key) return nullptr;
  return &slots[std::size_t(fd)];
}

// A selector over `backend` (defined in selector.cc; lib/backend.h makes it available to
// the registry and the backends' tests). Throws what adding the wakeup channel throws.
std::unique_ptr<Selector> make_selector_over(std::unique_ptr<Backend> backend);

}  // namespace detail
}  // namespace seltool
