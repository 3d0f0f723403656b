// The wakeup channel and the descriptors a selector owns: every one is close-on-exec from
// birth, close() releases all of them, and a wakeup() racing close() never writes to a
// released descriptor number that has been reused, nor hangs when a signal handler calls it
// in the middle of the owner's own calls. Run for every backend.
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "tests/lib/test_support.h"

namespace seltool::testing {
namespace {

class WakeupChannelTest : public BackendTest {};

// The descriptors open now, below a bound that covers everything a test opens.
std::vector<int> open_fds() {
  std::vector<int> fds;
  for (int fd = 0; fd < 1024; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) fds.push_back(fd);
  }
  return fds;
}

// True when `fd` has something to read now.
bool readable_now(int fd) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, 0) == 1 && (entry.revents & POLLIN);
}

TEST_P(WakeupChannelTest, EveryOwnDescriptorIsCloseOnExecAndCloseReleasesThemAll) {
  selector.reset();
  const std::vector<int> before = open_fds();
  selector = make_selector_for(GetParam());
  Pipe pipe = make_pipe();
  selector->register_file(pipe.read_end, EVENT_READ);
  selector->wakeup();
  selector->select(0);
  std::vector<int> owned;
  for (const int fd : open_fds()) {
    const bool old = std::find(before.begin(), before.end(), fd) != before.end();
    if (!old && fd != pipe.read_end.get() && fd != pipe.write_end.get()) owned.push_back(fd);
  }
  EXPECT_FALSE(owned.empty()) << "a selector owns a wakeup channel or a kernel object";
  for (const int fd : owned) EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC) << "descriptor " << fd;

  selector->close();
  for (const int fd : owned) EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "still open: " << fd;
  pipe = {};
  EXPECT_EQ(open_fds(), before);
}

TEST_P(WakeupChannelTest, WakeupAfterCloseDoesNotWriteToAReusedNumber) {
  selector->close();
  // The lowest free numbers are the ones close() released: a socket pair takes them.
  int ends[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
  UniqueFd first(ends[0]);
  UniqueFd second(ends[1]);
  selector->wakeup();
  EXPECT_FALSE(readable_now(first.get()));
  EXPECT_FALSE(readable_now(second.get()));
}

// The owner closes and creates selectors while another thread keeps calling wakeup() on
// whichever is current; every closed selector's numbers are taken at once by a socket pair,
// whose ends must never receive a byte. Selectors stay alive (closed) until the end: a
// selector object must outlive the callers of its wakeup().
TEST_P(WakeupChannelTest, WakeupRacingCloseNeverWritesToReusedNumbers) {
  constexpr int kRounds = 300;
  std::vector<std::unique_ptr<Selector>> selectors;
  selectors.reserve(kRounds + 1);
  selectors.push_back(make_selector_for(GetParam()));
  std::atomic<Selector*> current{selectors.back().get()};
  std::atomic<bool> stop{false};
  std::atomic<long> wakeups{0};
  std::thread waker([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!stop.load() && std::chrono::steady_clock::now() < give_up) {
      current.load()->wakeup();
      wakeups.fetch_add(1);
    }
  });
  // Stops and joins the thread however the test ends (a failed ASSERT returns early).
  const std::shared_ptr<void> join(nullptr, [&](void*) {
    stop.store(true);
    waker.join();
  });

  // On a busy machine the thread may start late: the rounds begin once it calls wakeup().
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (wakeups.load() == 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  ASSERT_GT(wakeups.load(), 0) << "the wakeup() thread never ran";
  std::vector<UniqueFd> reused;
  for (int round = 0; round < kRounds; ++round) {
    Selector& previous = *selectors.back();
    selectors.push_back(make_selector_for(GetParam()));
    current.store(selectors.back().get());
    previous.select(0);
    previous.close();
    int ends[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
    reused.emplace_back(ends[0]);
    reused.emplace_back(ends[1]);
    for (const UniqueFd& fd : reused) ASSERT_FALSE(readable_now(fd.get())) << "round " << round;
    if (reused.size() > 40) reused.erase(reused.begin(), reused.begin() + 2);
  }
}

// wakeup() is async-signal-safe: a handler may call it while the interrupted thread is inside
// any of the selector's calls (a backend that took a lock there would deadlock; the kqueue
// emulation once did). A thread signals the owner as fast as it can while the owner
// registers, selects, modifies and unregisters; a hang ends the test by its timeout.
std::atomic<Selector*> signalled_selector{nullptr};

extern "C" void wake_signalled_selector(int) {
  if (Selector* selector = signalled_selector.load()) selector->wakeup();
}

TEST_P(WakeupChannelTest, WakeupFromASignalHandlerInTheMiddleOfTheOwnersCalls) {
  struct sigaction action {};
  action.sa_handler = wake_signalled_selector;
  action.sa_flags = SA_RESTART;
  struct sigaction previous {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &previous), 0);
  signalled_selector.store(selector.get());
  const pthread_t owner = ::pthread_self();
  std::atomic<bool> stop{false};
  std::atomic<long> signals{0};
  std::thread signaller([&] {
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!stop.load() && std::chrono::steady_clock::now() < give_up) {
      ::pthread_kill(owner, SIGUSR1);
      signals.fetch_add(1);
      std::this_thread::yield();
    }
  });
  const std::shared_ptr<void> restore(nullptr, [&](void*) {
    stop.store(true);
    signaller.join();
    signalled_selector.store(nullptr);
    ::sigaction(SIGUSR1, &previous, nullptr);
  });

  Pipe pipe = make_pipe();
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  long rounds = 0;
  for (; rounds < 20000 && std::chrono::steady_clock::now() < until; ++rounds) {
    selector->register_file(pipe.read_end, EVENT_READ);
    selector->select(0);
    selector->modify(pipe.read_end, EVENT_READ | EVENT_WRITE);
    selector->select(0);
    selector->unregister(pipe.read_end);
  }
  stop.store(true);
  EXPECT_GT(rounds, 0);
  EXPECT_GT(signals.load(), 0) << "the signalling thread never ran";
  // The channel still works after all those wakeups: one more wakes a blocking select().
  selector->wakeup();
  selector->select(10);
  selector->wakeup();
  const auto start = std::chrono::steady_clock::now();
  selector->select(30);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

INSTANTIATE_TEST_SUITE_P(Backends, WakeupChannelTest, ::testing::ValuesIn(backend_params()),
                         param_name);

}  // namespace
}  // namespace seltool::testing
