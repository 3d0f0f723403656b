// Where seltool promises more than Python's selectors (issue 2, "Where Python is weak"):
// rollback of failed register/modify in map and kernel, mask validation in modify, one error
// for every use of a closed selector, FD_SETSIZE refusal, wakeup(), protection against
// stale results, one entry per descriptor, hangup conditions. Run for every backend.
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <climits>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <thread>

#include "tests/lib/test_support.h"

namespace seltool::testing {
namespace {

class ImprovementsTest : public BackendTest {};

// select() reports exactly one entry: `key`, with `events`.
void expect_only_ready(Selector& selector, const SelectorKey& key, Events events) {
  const ReadyList ready = selector.select(5);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(&(*ready.begin()).key, &key);
  EXPECT_EQ((*ready.begin()).events, events);
}

// ---------------------------------------------------------------------------------------
// Rollback: a failed register or modify leaves map and kernel as they were

TEST_P(ImprovementsTest, FailedRegisterOfBadMaskChangesNothing) {
  Pipe pipe = make_pipe();
  EXPECT_THROW(selector->register_file(pipe.read_end, 0), std::invalid_argument);
  EXPECT_THROW(selector->register_file(pipe.read_end, 999999), std::invalid_argument);
  EXPECT_TRUE(selector->get_map().empty());
  // Nothing half-registered stands in the way of the real registration.
  selector->register_file(pipe.read_end, EVENT_READ);
  write_all(pipe.write_end.get(), "x");
  EXPECT_EQ(ready_fds(selector->select(5), EVENT_READ), std::vector<int>{pipe.read_end.get()});
}

// epoll refuses regular files (EPERM), kqueue and /dev/poll closed descriptors (EBADF); poll
// and select accept both, so their kernel side cannot refuse a registration.
TEST_P(ImprovementsTest, FailedKernelRegisterChangesNothing) {
  UniqueFd file = make_temp_file();
  int refused;
  if (!traits().watches_regular_files) {  // epoll
    refused = file.get();
    EXPECT_EQ(system_error_of([&] { selector->register_file(refused, EVENT_READ); }),
              errno_code(EPERM));
  } else if (traits().refuses_closed_descriptors) {
    refused = make_bad_fd();
    EXPECT_EQ(system_error_of([&] { selector->register_file(refused, EVENT_READ); }),
              errno_code(EBADF));
  } else {
    GTEST_SKIP() << selector->name() << " accepts every open or closed descriptor";
  }
  EXPECT_TRUE(selector->get_map().empty());
  EXPECT_EQ(selector->get_map().get(refused), nullptr);

  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  write_all(pipe.write_end.get(), "x");
  EXPECT_EQ(ready_fds(selector->select(5), EVENT_READ), std::vector<int>{pipe.read_end.get()});
}

TEST_P(ImprovementsTest, ModifyRefusesInvalidMaskAndKeepsKey) {
  Pipe pipe = make_pipe();
  int data = 0;
  const SelectorKey& key = selector->register_file(pipe.read_end, EVENT_READ, &data);
  for (const Events bad : {0u, 999999u, EVENT_READ | 4u}) {
    EXPECT_THROW(selector->modify(pipe.read_end, bad), std::invalid_argument) << bad;
    EXPECT_EQ(key.events, EVENT_READ);
    EXPECT_EQ(std::any_cast<int*>(key.data), &data);
  }
  EXPECT_EQ(selector->get_map().size(), 1u);
  // The old registration still works in the kernel.
  write_all(pipe.write_end.get(), "x");
  expect_only_ready(*selector, key, EVENT_READ);
}

// Python (bpo-30014) drops the key when the kernel refuses a modify but leaves the kernel
// registration in place. Here both stay as they were. The descriptor number is made to name
// another file while a duplicate keeps the registered file open, so EPOLL_CTL_MOD fails
// (ENOENT) and the registered file can still become ready.
TEST_P(ImprovementsTest, FailedKernelModifyKeepsKeyAndKernelRegistration) {
  if (!traits().keys_by_open_file)
    GTEST_SKIP() << "only epoll keeps watching a file whose descriptor number was reused";
  Pipe pipe = make_pipe();
  const int fd = pipe.read_end.get();
  int data = 0;
  const SelectorKey& key = selector->register_file(fd, EVENT_READ, &data);
  UniqueFd registered_file(::dup(fd));
  Pipe other = make_pipe();
  ASSERT_EQ(::dup2(other.read_end.get(), fd), fd);

  EXPECT_EQ(system_error_of([&] { selector->modify(fd, EVENT_READ | EVENT_WRITE); }),
            errno_code(ENOENT));
  EXPECT_EQ(key.events, EVENT_READ);
  EXPECT_EQ(std::any_cast<int*>(key.data), &data);
  EXPECT_EQ(selector->get_map().size(), 1u);

  write_all(pipe.write_end.get(), "x");
  expect_only_ready(*selector, key, EVENT_READ);
  EXPECT_NO_THROW(selector->unregister(fd));
}

// ---------------------------------------------------------------------------------------
// Use after close: selector_closed everywhere

TEST_P(ImprovementsTest, EveryOperationOfClosedSelectorThrowsSelectorClosed) {
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  const SelectorMap& earlier_map = selector->get_map();
  selector->close();
  EXPECT_TRUE(selector->closed());
  EXPECT_THROW(selector->register_file(pipe.write_end, EVENT_WRITE), selector_closed);
  EXPECT_THROW(selector->unregister(pipe.read_end), selector_closed);
  EXPECT_THROW(selector->modify(pipe.read_end, EVENT_READ), selector_closed);
  EXPECT_THROW(selector->select(), selector_closed);
  EXPECT_THROW(selector->select(0), selector_closed);
  EXPECT_THROW(selector->select(std::chrono::milliseconds(10)), selector_closed);
  EXPECT_THROW(selector->get_key(pipe.read_end), selector_closed);
  EXPECT_THROW(selector->get_map(), selector_closed);
  EXPECT_THROW(selector->fileno(), selector_closed);

  EXPECT_EQ(earlier_map.size(), 0u);
  EXPECT_TRUE(earlier_map.begin() == earlier_map.end());
  EXPECT_THROW(earlier_map.at(pipe.read_end), not_registered);
  EXPECT_EQ(earlier_map.get(pipe.read_end), nullptr);

  selector->wakeup();  // harmless: another thread may still hold the selector
  selector->close();
  EXPECT_TRUE(selector->closed());
}

// ---------------------------------------------------------------------------------------
// FD_SETSIZE

TEST_P(ImprovementsTest, SelectRefusesDescriptorsAtOrAboveFdSetsize) {
  ScopedFdLimit fd_limit;
  if (fd_limit.limit() <= select_fd_setsize()) {
    GTEST_SKIP() << "RLIMIT_NOFILE (" << fd_limit.limit() << ") keeps descriptors below FD_SETSIZE";
  }
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  UniqueFd high(::fcntl(pipe.read_end.get(), F_DUPFD_CLOEXEC, select_fd_setsize()));
  ASSERT_GE(high.get(), select_fd_setsize()) << std::strerror(errno);

  if (traits().limited_to_fd_setsize) {
    EXPECT_THROW(selector->register_file(high, EVENT_READ), std::invalid_argument);
    EXPECT_EQ(selector->get_map().size(), 1u);
    EXPECT_EQ(selector->get_map().get(high), nullptr);
    write_all(pipe.write_end.get(), "x");
    EXPECT_EQ(ready_fds(selector->select(5), EVENT_READ), std::vector<int>{pipe.read_end.get()});
  } else {
    selector->unregister(pipe.read_end);
    selector->register_file(high, EVENT_READ);
    write_all(pipe.write_end.get(), "x");
    EXPECT_EQ(ready_fds(selector->select(5), EVENT_READ), std::vector<int>{high.get()});
  }
}

// When every descriptor below FD_SETSIZE is taken, a select selector's own wakeup channel
// cannot be watched: creating one fails at once with EMFILE (other backends still work),
// rather than every select() failing later.
TEST(SelectSelectorLimits, RefusedAtCreationWhenNoDescriptorBelowFdSetsizeIsFree) {
  ScopedFdLimit fd_limit;
  if (fd_limit.limit() <= select_fd_setsize() + 16) {
    GTEST_SKIP() << "RLIMIT_NOFILE (" << fd_limit.limit() << ") is too low to fill FD_SETSIZE";
  }
  Pipe pipe = make_pipe();
  std::vector<UniqueFd> fillers;  // the lowest free descriptors, until none is below the limit
  while (fillers.empty() || fillers.back().get() < select_fd_setsize()) {
    fillers.emplace_back(::fcntl(pipe.read_end.get(), F_DUPFD_CLOEXEC, 0));
    ASSERT_TRUE(fillers.back()) << std::strerror(errno);
  }
  EXPECT_EQ(system_error_of([] { make_selector("select"); }), errno_code(EMFILE));
  auto poll_selector = make_selector("poll");
  EXPECT_TRUE(poll_selector->select(0).empty());
}

// A descriptor number no descriptor of this process can have is refused like a closed
// descriptor (select: out of FD_SETSIZE), not by growing tables to its size (bad_alloc).
TEST_P(ImprovementsTest, ImpossibleDescriptorNumberIsRefusedWithoutAllocating) {
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  for (const int fd : {INT_MAX - 1, 1 << 28}) {
    if (limit.rlim_cur == RLIM_INFINITY || rlim_t(fd) < limit.rlim_cur) continue;
    if (traits().limited_to_fd_setsize) {
      EXPECT_THROW(selector->register_file(fd, EVENT_READ), std::invalid_argument) << fd;
    } else {
      EXPECT_EQ(system_error_of([&] { selector->register_file(fd, EVENT_READ); }),
                errno_code(EBADF))
          << fd;
    }
    EXPECT_TRUE(selector->get_map().empty());
  }
  SocketPair pair = make_socketpair();
  selector->register_file(pair.second, EVENT_WRITE);
  EXPECT_EQ(ready_fds(selector->select(5), EVENT_WRITE), std::vector<int>{pair.second.fileno()});
}

// ---------------------------------------------------------------------------------------
// wakeup()

TEST_P(ImprovementsTest, WakeupFromAnotherThreadEndsBlockedSelect) {
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  Stopwatch stopwatch;
  std::thread waker([&] {
    // A delay, not a wait for a state: the wakeup comes while select() most likely blocks
    // (one that comes earlier stays pending and ends the select() all the same).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    selector->wakeup();
  });
  const bool empty = selector->select(30).empty();
  const double elapsed = stopwatch.seconds();
  waker.join();
  EXPECT_TRUE(empty);
  EXPECT_GE(elapsed, 0.2);  // it really blocked until the wakeup
  EXPECT_LT(elapsed, 5.0);
}

TEST_P(ImprovementsTest, WakeupEndsSelectWithoutTimeoutOnEmptySelector) {
  std::thread waker([&] {
    // A delay, not a wait for a state: the wakeup comes while select() most likely blocks
    // (one that comes earlier stays pending and ends the select() all the same).
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    selector->wakeup();
  });
  Stopwatch stopwatch;
  const bool empty = selector->select().empty();
  waker.join();
  EXPECT_TRUE(empty);
  EXPECT_LT(stopwatch.seconds(), 5.0);
}

TEST_P(ImprovementsTest, WakeupsBeforeSelectAreCoalescedIntoOne) {
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  for (int i = 0; i < 3; ++i) selector->wakeup();
  Stopwatch first;
  EXPECT_TRUE(selector->select(10).empty());
  EXPECT_LT(first.seconds(), 2.0);
  Stopwatch second;
  EXPECT_TRUE(selector->select(0.3).empty());
  EXPECT_GE(second.seconds(), 0.3);
}

// A select(0) cannot be cut short, so it leaves a pending wakeup to the next select() that
// may block, on every backend (poll even leaves the channel out of such calls).
TEST_P(ImprovementsTest, WakeupIsKeptForTheNextSelectThatMayBlock) {
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  selector->wakeup();
  EXPECT_TRUE(selector->select(0).empty());
  EXPECT_TRUE(selector->select(-1).empty());
  Stopwatch woken;
  EXPECT_TRUE(selector->select(10).empty());
  EXPECT_LT(woken.seconds(), 2.0);
  Stopwatch used_up;
  EXPECT_TRUE(selector->select(0.3).empty());
  EXPECT_GE(used_up.seconds(), 0.3);
}

TEST_P(ImprovementsTest, WakeupReturnsWhatElseIsReady) {
  SocketPair pair = make_socketpair();
  const SelectorKey& key = selector->register_file(pair.second, EVENT_WRITE);
  selector->wakeup();
  expect_only_ready(*selector, key, EVENT_WRITE);
}

// The wakeup channel must never be reported as a registered descriptor, not even as
// descriptor 0 (a registration token of 0 names descriptor 0).
TEST_P(ImprovementsTest, WakeupIsNotReportedAsDescriptorZero) {
  // Descriptor 0 becomes an (empty) pipe for the test; the destructor puts stdin back.
  struct StdinSwap {
    explicit StdinSwap(int replacement) : saved(::fcntl(0, F_DUPFD_CLOEXEC, 3)) {
      EXPECT_EQ(::dup2(replacement, 0), 0);
    }
    ~StdinSwap() {
      if (saved >= 0) {
        ::dup2(saved, 0);
        ::close(saved);
      } else {
        ::close(0);  // stdin was not open
      }
    }
    const int saved;
  };
  Pipe pipe = make_pipe();
  StdinSwap swap(pipe.read_end.get());
  selector->register_file(0, EVENT_READ);
  selector->wakeup();
  EXPECT_TRUE(selector->select(5).empty()) << "descriptor 0 reported after wakeup()";
  EXPECT_TRUE(selector->select(0).empty()) << "descriptor 0 reported after wakeup()";
  selector->unregister(0);
}

// ---------------------------------------------------------------------------------------
// Results stay valid while callbacks change registrations

// Two socket pairs whose first ends are registered for READ|WRITE (writable; readable too
// when `readable`). At the first result entry `change_other` gets the other registered
// descriptor. Returns the entries seen as (fd, events).
std::vector<std::pair<int, Events>> iterate_changing_other(
    Selector& selector, bool readable, const std::function<void(int other_fd)>& change_other) {
  SocketPair a = make_socketpair();
  SocketPair b = make_socketpair();
  if (readable) {
    a.second.send("x");
    b.second.send("x");
  }
  const int a_fd = a.first.fileno();
  const int b_fd = b.first.fileno();
  selector.register_file(a_fd, EVENT_READ | EVENT_WRITE);
  selector.register_file(b_fd, EVENT_READ | EVENT_WRITE);
  const Events expected = readable ? EVENT_READ | EVENT_WRITE : EVENT_WRITE;
  std::vector<std::pair<int, Events>> seen;
  const ReadyList ready = selector.select(5);
  EXPECT_EQ(ready.size(), 2u);
  for (const auto& [key, events] : ready) {
    if (seen.empty()) {
      EXPECT_EQ(events, expected);
      change_other(key.fd == a_fd ? b_fd : a_fd);
    }
    seen.emplace_back(key.fd, events);
  }
  return seen;
}

TEST_P(ImprovementsTest, EntryOfKeyUnregisteredDuringIterationIsSkipped) {
  const auto seen =
      iterate_changing_other(*selector, true, [&](int other) { selector->unregister(other); });
  EXPECT_EQ(seen.size(), 1u);
}

TEST_P(ImprovementsTest, EntryOfKeyReregisteredDuringIterationIsSkipped) {
  const auto seen = iterate_changing_other(*selector, true, [&](int other) {
    selector->unregister(other);
    selector->register_file(other, EVENT_READ | EVENT_WRITE);
  });
  EXPECT_EQ(seen.size(), 1u);
}

TEST_P(ImprovementsTest, EntryEventsAreMaskedByEventsModifiedDuringIteration) {
  const auto seen = iterate_changing_other(*selector, true,
                                           [&](int other) { selector->modify(other, EVENT_READ); });
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].second, EVENT_READ);
}

TEST_P(ImprovementsTest, EntryWhoseEventsWereModifiedAwayIsSkipped) {
  // Only writable: once the other key asks for READ alone, nothing of its entry remains.
  const auto seen = iterate_changing_other(*selector, false,
                                           [&](int other) { selector->modify(other, EVENT_READ); });
  EXPECT_EQ(seen.size(), 1u);
}

TEST_P(ImprovementsTest, EntriesAfterACallbackClosedTheSelectorAreSkipped) {
  // close() forgets every key: the other key's entry must not be handed out.
  const auto seen = iterate_changing_other(*selector, true, [&](int) { selector->close(); });
  EXPECT_EQ(seen.size(), 1u);
}

// A callback stored as a key's data, called from the select() loop as the header's example
// does, that ends its own registration (`change`). Returns whether the callback's captures
// were still alive when it went on after `change`, and checks the key it was called through
// can still be read (it was freed: `unregister(key.fd); close(key.fd);` read freed memory).
bool captures_survive(Selector& selector, const std::function<void(int fd)>& change) {
  SocketPair pair = make_socketpair();
  pair.second.send("x");
  const int fd = pair.first.fileno();
  // Set when the callback's captures are destroyed (which may be after this function).
  const auto destroyed = std::make_shared<bool>(false);
  bool destroyed_during_callback = true;
  {
    const std::shared_ptr<void> guard(nullptr, [destroyed](void*) { *destroyed = true; });
    selector.register_file(fd, EVENT_READ, std::function<void()>([&, guard, fd] {
                             change(fd);
                             destroyed_during_callback = *destroyed;
                           }));
  }
  const ReadyList ready = selector.select(5);
  EXPECT_EQ(ready.size(), 1u);
  for (const auto& [key, events] : ready) {
    std::any_cast<const std::function<void()>&>(key.data)();
    EXPECT_EQ(key.fd, fd) << "the key reported by select() was freed";
  }
  return !destroyed_during_callback;
}

TEST_P(ImprovementsTest, CallbackMayUnregisterItsOwnKey) {
  int unregistered = -1;
  EXPECT_TRUE(captures_survive(*selector, [&](int fd) {
    selector->unregister(fd);
    unregistered = fd;
  }));
  ASSERT_NE(unregistered, -1) << "the callback did not run";
  EXPECT_FALSE(selector->get_map().contains(unregistered));
  EXPECT_TRUE(selector->select(0).empty());  // the retired key is released here
}

TEST_P(ImprovementsTest, CallbackMayReplaceItsOwnData) {
  EXPECT_TRUE(captures_survive(
      *selector, [&](int fd) { selector->modify(fd, EVENT_READ, std::function<void()>([] {})); }));
}

TEST_P(ImprovementsTest, CallbackMayCloseTheSelector) {
  EXPECT_TRUE(captures_survive(*selector, [&](int) { selector->close(); }));
}

TEST_P(ImprovementsTest, UnregisterReturnsTheDataOfAKeyJustReported) {
  SocketPair pair = make_socketpair();
  pair.second.send("x");
  selector->register_file(pair.first, EVENT_READ, std::string("payload"));
  for (const auto& [key, events] : selector->select(5)) {
    const SelectorKey removed = selector->unregister(key.fileobj);
    EXPECT_EQ(std::any_cast<std::string>(removed.data), "payload");
    EXPECT_EQ(std::any_cast<std::string>(key.data), "payload");
  }
}

// ---------------------------------------------------------------------------------------
// What one entry carries

TEST_P(ImprovementsTest, ReadableAndWritableDescriptorIsOneEntryWithBothBits) {
  SocketPair pair = make_socketpair();
  pair.second.send("foo");
  const SelectorKey& key = selector->register_file(pair.first, EVENT_READ | EVENT_WRITE);
  expect_only_ready(*selector, key, EVENT_READ | EVENT_WRITE);
}

// Every ready descriptor comes back exactly once with its events, also when more are ready
// than any select() saw before (epoll's buffer then grows within the call, and the kernel
// hands out some descriptors twice: the repeats must merge, not show up as entries).
TEST_P(ImprovementsTest, EveryReadyDescriptorOnceWhenMoreAreReadyThanEverBefore) {
  std::vector<SocketPair> pairs;
  auto expect_all_once = [&](const char* when) {
    std::map<int, Events> seen;
    for (auto [key, events] : selector->select(0)) {
      EXPECT_TRUE(seen.emplace(key.fd, events).second) << when << ": twice: " << key.fd;
    }
    ASSERT_EQ(seen.size(), pairs.size()) << when;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const Events expected = i % 2 == 0 ? EVENT_READ | EVENT_WRITE : EVENT_WRITE;
      EXPECT_EQ(seen[pairs[i].first.fileno()], expected) << when << ": pair " << i;
    }
  };
  auto add_pairs = [&](std::size_t count) {
    while (count-- > 0) {
      pairs.push_back(make_socketpair());
      if (pairs.size() % 2 == 1) pairs.back().second.send("x");  // even index: readable too
      selector->register_file(pairs.back().first, EVENT_READ | EVENT_WRITE);
    }
  };
  add_pairs(10);
  expect_all_once("10 ready");
  add_pairs(290);
  expect_all_once("300 ready, the first time");
  expect_all_once("300 ready again");
}

// A modify of one key between two select() calls neither delays the report of another ready
// key nor gets lost itself (io_uring once queued an update the kernel refused, which also
// held back the rest of the batch until the following select()).
TEST_P(ImprovementsTest, ModifyBetweenSelectsDelaysNothing) {
  Pipe pipe = make_pipe();
  selector->register_file(pipe.write_end, EVENT_READ | EVENT_WRITE);
  selector->register_file(pipe.read_end, EVENT_READ);
  EXPECT_EQ(ready_fds(selector->select(0), EVENT_WRITE), std::vector<int>{pipe.write_end.get()});
  selector->modify(pipe.read_end, EVENT_READ | EVENT_WRITE);  // its poll is armed (not ready)
  EXPECT_EQ(ready_fds(selector->select(0), EVENT_WRITE), std::vector<int>{pipe.write_end.get()});
  selector->modify(pipe.read_end, EVENT_READ);
  write_all(pipe.write_end.get(), "x");
  EXPECT_EQ(ready_fds(selector->select(0), EVENT_READ), std::vector<int>{pipe.read_end.get()});
}

TEST_P(ImprovementsTest, PipeHangupIsReadinessWithHangupCondition) {
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  pipe.write_end.reset();
  const ReadyList ready = selector->select(5);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_READ);  // HUP folds into READ|WRITE, masked to READ
  if (traits().reports_hangup) {
    EXPECT_NE((*ready.begin()).conditions & CONDITION_HANGUP, 0u);
  }
}

TEST_P(ImprovementsTest, PeerCloseIsReadinessMaskedByKeyEvents) {
  SocketPair reader = make_socketpair();
  SocketPair writer = make_socketpair();
  selector->register_file(reader.first, EVENT_READ);
  selector->register_file(writer.first, EVENT_WRITE);
  reader.second.close();
  writer.second.close();
  std::map<int, std::pair<Events, Conditions>> entries;
  for (const Ready& ready : selector->select(5)) {
    entries[ready.key.fd] = {ready.events, ready.conditions};
  }
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[reader.first.fileno()].first, EVENT_READ);
  EXPECT_EQ(entries[writer.first.fileno()].first, EVENT_WRITE);
  if (traits().reports_hangup) {
    EXPECT_NE(entries[reader.first.fileno()].second & CONDITION_HANGUP, 0u);
    EXPECT_NE(entries[writer.first.fileno()].second & CONDITION_HANGUP, 0u);
  }
}

// A descriptor closed while a duplicate keeps its file open cannot be removed from an epoll
// set; its events must neither be reported nor make select() spin.
TEST_P(ImprovementsTest, EventsOfUnregisteredDuplicatedDescriptorAreDroppedWithoutSpinning) {
  Pipe pipe = make_pipe();
  const int fd = pipe.read_end.get();
  selector->register_file(fd, EVENT_READ);
  UniqueFd duplicate(::dup(fd));
  pipe.read_end.reset();
  EXPECT_NO_THROW(selector->unregister(fd));
  write_all(pipe.write_end.get(), "x");

  for (int round = 0; round < 2; ++round) {
    const double cpu_before = thread_cpu_seconds();
    Stopwatch stopwatch;
    EXPECT_TRUE(selector->select(0.3).empty());
    const double elapsed = stopwatch.seconds();
    const double cpu = thread_cpu_seconds() - cpu_before;
    EXPECT_GE(elapsed, 0.3);
    EXPECT_LT(cpu, 0.1) << "select() used " << cpu << " s of CPU in " << elapsed << " s";
  }
}

// ---------------------------------------------------------------------------------------
// Timeout forms

TEST_P(ImprovementsTest, TimeoutForms) {
  EXPECT_THROW(selector->select(std::nan("")), std::invalid_argument);
  SocketPair pair = make_socketpair();
  selector->register_file(pair.second, EVENT_WRITE);
  Stopwatch stopwatch;
  EXPECT_EQ(selector->select(std::numeric_limits<double>::infinity()).size(), 1u);
  EXPECT_EQ(selector->select(std::chrono::hours(1)).size(), 1u);
  EXPECT_EQ(selector->select(std::chrono::milliseconds(-5)).size(), 1u);
  EXPECT_EQ(selector->select(std::chrono::seconds::max()).size(), 1u);
  EXPECT_LT(stopwatch.seconds(), 2.0);

  selector->unregister(pair.second);
  Stopwatch idle_polls;  // negative never blocks, however large
  EXPECT_TRUE(selector->select(-1e300).empty());
  EXPECT_TRUE(selector->select(std::chrono::seconds::min()).empty());
  EXPECT_TRUE(selector->select(std::chrono::hours(-1'000'000'000)).empty());
  EXPECT_LT(idle_polls.seconds(), 2.0);

  Stopwatch timed;
  EXPECT_TRUE(selector->select(std::chrono::milliseconds(200)).empty());
  EXPECT_GE(timed.seconds(), 0.2);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImprovementsTest, ::testing::ValuesIn(backend_params()),
                         param_name);

}  // namespace
}  // namespace seltool::testing
