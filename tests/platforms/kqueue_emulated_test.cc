// KqueueSelector (lib/kqueue_selector.cc) run on Linux over kqueue_emulation.cc, a userspace
// kqueue built on poll(2). This checks the selector's own logic (filters per event, merging,
// rollback, timeouts, EOF) against the kqueue(2) contract as emulated, NOT a real kernel:
// on macOS and the BSDs the library's conformance suite would run the real thing.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <system_error>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"

extern "C" int kqueue_emulation_knote_count(int kq);
extern "C" int kqueue_emulation_wait_count();
extern "C" int kqueue_emulation_change_calls();
extern "C" bool kqueue_emulation_udata(int kq, uintptr_t ident, short filter, void** udata);

namespace seltool {
namespace {

using testing::Clock;
using testing::make_pipe;
using testing::make_socketpair;
using testing::Pipe;
using testing::seconds_since;
using testing::SocketPair;

std::unique_ptr<Selector> make_kqueue_selector() {
  return make_selector_over(make_kqueue_backend());
}

// The knotes of the selector's descriptors: all but the wakeup channel's EVFILT_USER one.
int knotes(const Selector& selector) {
  return kqueue_emulation_knote_count(*selector.fileno()) - 1;
}

TEST(KqueueEmulated, ReadableAfterWrite) {
  auto selector = make_kqueue_selector();
  EXPECT_EQ(selector->name(), "kqueue");
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  EXPECT_TRUE(selector->select(0).empty());
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).key.fd, pipe.read_end.get());
  EXPECT_EQ((*ready.begin()).events, EVENT_READ);
}

TEST(KqueueEmulated, ReadWriteDescriptorsComeBackOnceWithBothBits) {
  // Two filters per descriptor: a result buffer sized by descriptors would cut half of
  // them (CPython's gh-110038), and two entries per descriptor would break the contract.
  auto selector = make_kqueue_selector();
  std::vector<SocketPair> pairs;
  for (int i = 0; i < 20; ++i) {
    pairs.push_back(make_socketpair());
    ASSERT_EQ(::write(pairs.back().second.fileno(), "x", 1), 1);
    selector->register_file(pairs.back().first, EVENT_READ | EVENT_WRITE);
  }
  EXPECT_EQ(knotes(*selector), 40);
  auto ready = selector->select(10);
  EXPECT_EQ(ready.size(), 20u);
  for (Ready entry : ready) EXPECT_EQ(entry.events, EVENT_READ | EVENT_WRITE) << entry.key.fd;
}

TEST(KqueueEmulated, WriterClosedIsReadableWithHangup) {
  auto selector = make_kqueue_selector();
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  pipe.write_end.reset();
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_READ);
  EXPECT_TRUE((*ready.begin()).conditions & CONDITION_HANGUP);
}

// FreeBSD's filt_vfsread(): a regular file is readable while its offset is before its end,
// never at it (no EV_EOF either), unlike Linux's poll(), which says readable always.
TEST(KqueueEmulated, RegularFileIsReadableOnlyBeforeItsEnd) {
  auto selector = make_kqueue_selector();
  UniqueFd file = testing::make_temp_file();
  testing::write_all(file.get(), "abc");
  ASSERT_EQ(::lseek(file.get(), 1, SEEK_SET), 1);
  selector->register_file(file, EVENT_READ);
  auto ready = selector->select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_READ);
  EXPECT_EQ((*ready.begin()).conditions, 0u);
  char buffer[8];
  ASSERT_EQ(::read(file.get(), buffer, sizeof buffer), 2);
  EXPECT_TRUE(selector->select(0).empty()) << "read to its end: not readable";
  ASSERT_EQ(::lseek(file.get(), 0, SEEK_SET), 0);
  EXPECT_EQ(selector->select(0).size(), 1u) << "the offset moved back";
  ASSERT_EQ(::ftruncate(file.get(), 0), 0);
  EXPECT_TRUE(selector->select(0).empty()) << "an empty file is never readable";
}

// FreeBSD's pipe_poll() and filt_pipewrite(): a pipe whose reader is gone is POLLHUP (EV_EOF)
// for its writer, never Linux's POLLERR; the emulation's poll() answers so for the program.
TEST(KqueueEmulated, PipeWithoutReaderIsHangupNeverError) {
  auto selector = make_kqueue_selector();
  Pipe pipe = make_pipe();
  selector->register_file(pipe.write_end, EVENT_WRITE);
  pipe.read_end.reset();
  auto ready = selector->select(0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_WRITE);
  EXPECT_EQ((*ready.begin()).conditions, CONDITION_HANGUP);
  pollfd probe{pipe.write_end.get(), POLLOUT, 0};
  ASSERT_EQ(::poll(&probe, 1, 0), 1);
  EXPECT_EQ(probe.revents, POLLOUT | POLLHUP);
}

TEST(KqueueEmulated, EmptySelectorHonoursTimeoutInOneWait) {
  // kevent() with no room for events ignores the timeout (bpo-29255): select() would then
  // spin until the time is up instead of sleeping.
  auto selector = make_kqueue_selector();
  const int waits_before = kqueue_emulation_wait_count();
  const auto start = Clock::now();
  EXPECT_TRUE(selector->select(0.2).empty());
  EXPECT_GE(seconds_since(start), 0.2);
  EXPECT_LT(seconds_since(start), 10.0);
  EXPECT_LE(kqueue_emulation_wait_count() - waits_before, 3);
}

TEST(KqueueEmulated, TimeoutAboveDarwinLimitIsClampedNotRefused) {
  auto selector = make_kqueue_selector();
  std::thread waker([&] {
    // A delay, not a wait for a state: the wakeup comes while select() most likely blocks
    // (one that comes earlier stays pending and ends the select() all the same).
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    selector->wakeup();
  });
  const auto start = Clock::now();
  EXPECT_NO_THROW(selector->select(5e6));  // kevent refuses tv_sec > 1e6 with EINVAL
  waker.join();
  EXPECT_LT(seconds_since(start), 10.0);
}

TEST(KqueueEmulated, WakeupIsAUserEventOfTheKqueueWithNoDescriptorOfItsOwn) {
  const int open_before = ::dup(0);  // the lowest free number before the selector exists
  ::close(open_before);
  auto selector = make_kqueue_selector();
  const int probe = ::dup(0);  // the kqueue took one number, and nothing else was opened
  ::close(probe);
  EXPECT_EQ(*selector->fileno(), open_before);
  EXPECT_EQ(probe, open_before + 1);
  // Registered as an ordinary knote under the reserved wakeup token, which wait() passes on
  // like any other event's.
  void* udata = nullptr;
  ASSERT_TRUE(kqueue_emulation_udata(open_before, 0, EVFILT_USER, &udata));
  EXPECT_EQ(Token(uintptr_t(udata)), token::wakeup(-1));

  std::thread waker([&] {
    // A delay, not a wait for a state: the wakeup comes while select() most likely blocks
    // (one that comes earlier stays pending and ends the select() all the same).
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    selector->wakeup();
  });
  const auto start = Clock::now();
  EXPECT_TRUE(selector->select(60).empty());
  waker.join();
  EXPECT_LT(seconds_since(start), 30.0);

  // A select(0) leaves a pending wakeup to the next select() that may block; that one uses
  // it up (EV_CLEAR), so the one after it waits its whole timeout.
  selector->wakeup();
  EXPECT_TRUE(selector->select(0).empty());
  const auto again = Clock::now();
  EXPECT_TRUE(selector->select(60).empty());
  EXPECT_LT(seconds_since(again), 30.0);
  const auto third = Clock::now();
  EXPECT_TRUE(selector->select(0.2).empty());
  EXPECT_GE(seconds_since(third), 0.2);
}

TEST(KqueueEmulated, RefusedDescriptorFailsAtRegisterWithNothingRegistered) {
  auto selector = make_kqueue_selector();
  UniqueFd dev_null(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(dev_null);
  try {
    selector->register_file(dev_null, EVENT_READ | EVENT_WRITE);
    ADD_FAILURE() << "/dev/null was accepted";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), ENODEV) << error.what();
  }
  EXPECT_FALSE(selector->get_map().contains(dev_null));
  EXPECT_EQ(knotes(*selector), 0);
}

TEST(KqueueEmulated, RefusedDescriptorIsAlwaysReadyWhenThePolicyIsOn) {
  auto selector = make_kqueue_selector();
  selector->accept_always_ready_files();
  UniqueFd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  ASSERT_TRUE(dev_null);
  Pipe idle = make_pipe();
  selector->register_file(idle.read_end, EVENT_READ);
  selector->register_file(dev_null, EVENT_READ | EVENT_WRITE);
  EXPECT_EQ(knotes(*selector), 1) << "the kernel watches the pipe only";
  const auto start = Clock::now();
  auto ready = selector->select(60);
  EXPECT_LT(seconds_since(start), 30.0);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).key.fd, dev_null.get());
  EXPECT_EQ((*ready.begin()).events, EVENT_READ | EVENT_WRITE);
  EXPECT_EQ((*ready.begin()).conditions, 0u);
  selector->modify(dev_null, EVENT_WRITE);
  ASSERT_EQ(selector->select(0).size(), 1u);
  EXPECT_EQ((*selector->select(0).begin()).events, EVENT_WRITE);
  selector->unregister(dev_null);
  EXPECT_TRUE(selector->select(0).empty());
  EXPECT_EQ(knotes(*selector), 1);
}

TEST(KqueueEmulated, RefusedWriteFilterTakesTheReadFilterBack) {
  // EVFILT_WRITE on a pipe whose other end is closed is refused (EPIPE) after EVFILT_READ
  // was accepted: the read filter must not stay behind (CPython leaks it).
  auto selector = make_kqueue_selector();
  Pipe pipe = make_pipe();
  pipe.write_end.reset();
  EXPECT_THROW(selector->register_file(pipe.read_end, EVENT_READ | EVENT_WRITE), std::system_error);
  EXPECT_FALSE(selector->get_map().contains(pipe.read_end));
  EXPECT_EQ(knotes(*selector), 0);
}

TEST(KqueueEmulated, FailedModifyLeavesKeyAndKernelUnchanged) {
  auto selector = make_kqueue_selector();
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  pipe.write_end.reset();
  EXPECT_THROW(selector->modify(pipe.read_end, EVENT_WRITE), std::system_error);
  EXPECT_EQ(selector->get_key(pipe.read_end).events, EVENT_READ);
  EXPECT_EQ(knotes(*selector), 1);
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_READ);
}

TEST(KqueueEmulated, ModifyTouchesOnlyTheFiltersThatChange) {
  auto selector = make_kqueue_selector();
  SocketPair pair = make_socketpair();
  selector->register_file(pair.first, EVENT_READ);
  EXPECT_EQ(knotes(*selector), 1);
  selector->modify(pair.first, EVENT_READ | EVENT_WRITE);
  EXPECT_EQ(knotes(*selector), 2);
  selector->modify(pair.first, EVENT_WRITE);
  EXPECT_EQ(knotes(*selector), 1);
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_WRITE);
  selector->unregister(pair.first);
  EXPECT_EQ(knotes(*selector), 0);
}

TEST(KqueueEmulated, ClosedDescriptorCanBeUnregistered) {
  auto selector = make_kqueue_selector();
  Pipe pipe = make_pipe();
  const int fd = pipe.read_end.get();
  selector->register_file(fd, EVENT_READ | EVENT_WRITE);
  pipe.read_end.reset();
  EXPECT_EQ(selector->unregister(fd).fd, fd);
  EXPECT_TRUE(selector->select(0).empty());
}

TEST(KqueueEmulated, FilenoIsTheKqueueAndCloseReleasesIt) {
  auto selector = make_kqueue_selector();
  const int kq = *selector->fileno();
  EXPECT_NE(::fcntl(kq, F_GETFD), -1);
  EXPECT_TRUE(::fcntl(kq, F_GETFD) & FD_CLOEXEC);
  selector->close();
  EXPECT_EQ(::fcntl(kq, F_GETFD), -1);
  EXPECT_THROW(selector->fileno(), selector_closed);
}

// The changes of one operation reach the kernel in one kevent() call (EV_RECEIPT), whatever
// the filters involved.
TEST(KqueueEmulated, ChangesOfOneOperationGoInOneCall) {
  auto selector = make_kqueue_selector();
  SocketPair pair = make_socketpair();
  int calls = kqueue_emulation_change_calls();
  selector->register_file(pair.first, EVENT_READ | EVENT_WRITE);
  EXPECT_EQ(kqueue_emulation_change_calls(), calls + 1);
  EXPECT_EQ(knotes(*selector), 2);
  calls = kqueue_emulation_change_calls();
  selector->modify(pair.first, EVENT_WRITE);
  EXPECT_EQ(kqueue_emulation_change_calls(), calls + 1);
  calls = kqueue_emulation_change_calls();
  selector->modify(pair.first, EVENT_READ);  // READ added and WRITE deleted together
  EXPECT_EQ(kqueue_emulation_change_calls(), calls + 1);
  EXPECT_EQ(knotes(*selector), 1);
  calls = kqueue_emulation_change_calls();
  selector->unregister(pair.first);
  EXPECT_EQ(kqueue_emulation_change_calls(), calls + 1);
  EXPECT_EQ(knotes(*selector), 0);
}

// Each filter carries its registration's token in udata: the descriptor and the
// registration's generation, which a new registration of the same descriptor advances.
TEST(KqueueEmulated, EachFilterCarriesItsRegistrationsToken) {
  auto selector = make_kqueue_selector();
  SocketPair pair = make_socketpair();
  const int fd = pair.first.fileno();
  const int kq = *selector->fileno();
  void* udata = nullptr;
  selector->register_file(fd, EVENT_READ);
  ASSERT_TRUE(kqueue_emulation_udata(kq, uintptr_t(fd), EVFILT_READ, &udata));
  EXPECT_EQ(Token(uintptr_t(udata)), token::make(fd, 0));
  selector->unregister(fd);
  selector->register_file(fd, EVENT_READ);
  selector->modify(fd, EVENT_READ | EVENT_WRITE);
  ASSERT_TRUE(kqueue_emulation_udata(kq, uintptr_t(fd), EVFILT_READ, &udata));
  EXPECT_EQ(Token(uintptr_t(udata)), token::make(fd, 1));
  ASSERT_TRUE(kqueue_emulation_udata(kq, uintptr_t(fd), EVFILT_WRITE, &udata));
  EXPECT_EQ(Token(uintptr_t(udata)), token::make(fd, 1));
}

// So the generation check covers kqueue: an event whose udata names another registration of
// the descriptor (here: the filter's udata replaced behind the selector's back) is dropped,
// as epoll's are.
TEST(KqueueEmulated, EventOfAnotherRegistrationIsDropped) {
  auto selector = make_kqueue_selector();
  SocketPair pair = make_socketpair();
  const int fd = pair.second.fileno();
  selector->register_file(fd, EVENT_WRITE);
  ASSERT_EQ(selector->select(0).size(), 1u);
  struct kevent change;
  EV_SET(&change, uintptr_t(fd), EVFILT_WRITE, EV_ADD, 0, 0,
         reinterpret_cast<void*>(uintptr_t(token::make(fd, 7))));
  ASSERT_EQ(::kevent(*selector->fileno(), &change, 1, nullptr, 0, nullptr), 0);
  EXPECT_TRUE(selector->select(0).empty());
}

// The emulation follows FreeBSD's kqueue_kevent() for receipts and errors.
TEST(KqueueEmulation, ReceiptsAndErrorsFollowFreeBsd) {
  const UniqueFd kq(::kqueue());
  ASSERT_TRUE(kq);
  Pipe pipe = make_pipe();
  const int bad = ::dup(pipe.read_end.get());
  ::close(bad);
  void* const tag = reinterpret_cast<void*>(uintptr_t(42));
  struct kevent changes[2];
  struct kevent out[2];
  EV_SET(&changes[0], uintptr_t(pipe.read_end.get()), EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, tag);
  EV_SET(&changes[1], uintptr_t(bad), EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0, tag);
  // Every change with EV_RECEIPT comes back, applied (data 0) or not (its errno), as it was
  // given but for flags and data; no events are collected.
  ASSERT_EQ(::kevent(kq.get(), changes, 2, out, 2, nullptr), 2);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(out[i].ident, changes[i].ident);
    EXPECT_EQ(out[i].filter, EVFILT_READ);
    EXPECT_EQ(out[i].flags, EV_ERROR);
    EXPECT_EQ(out[i].udata, tag);
  }
  EXPECT_EQ(out[0].data, 0);
  EXPECT_EQ(out[1].data, EBADF);
  EXPECT_EQ(kqueue_emulation_knote_count(kq.get()), 1);
  // Without EV_RECEIPT only the failure comes back; with no room it fails the call.
  EV_SET(&changes[0], uintptr_t(pipe.write_end.get()), EVFILT_WRITE, EV_ADD, 0, 0, tag);
  EV_SET(&changes[1], uintptr_t(bad), EVFILT_WRITE, EV_ADD, 0, 0, tag);
  ASSERT_EQ(::kevent(kq.get(), changes, 2, out, 2, nullptr), 1);
  EXPECT_EQ(out[0].ident, uintptr_t(bad));
  EXPECT_EQ(out[0].data, EBADF);
  EXPECT_EQ(::kevent(kq.get(), &changes[1], 1, nullptr, 0, nullptr), -1);
  EXPECT_EQ(errno, EBADF);
  // A receipt with no room stops the call: the changes after it are not applied.
  EV_SET(&changes[0], uintptr_t(pipe.read_end.get()), EVFILT_READ, EV_DELETE | EV_RECEIPT, 0, 0,
         tag);
  EV_SET(&changes[1], uintptr_t(pipe.write_end.get()), EVFILT_WRITE, EV_DELETE, 0, 0, tag);
  EXPECT_EQ(::kevent(kq.get(), changes, 2, nullptr, 0, nullptr), 0);
  EXPECT_EQ(kqueue_emulation_knote_count(kq.get()), 1);  // the write filter is still there
  // Events carry the udata of their knote.
  ASSERT_EQ(::kevent(kq.get(), nullptr, 0, out, 2, nullptr), 1);
  EXPECT_EQ(out[0].filter, EVFILT_WRITE);
  EXPECT_EQ(out[0].udata, tag);
}

}  // namespace
}  // namespace seltool
