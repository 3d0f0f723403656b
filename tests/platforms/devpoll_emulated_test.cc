// DevpollSelector (lib/devpoll_selector.cc) run on Linux over devpoll_emulation.cc, a
// userspace /dev/poll with the illumos driver's rules. Checks what the selector must do
// because of those rules (issue 8): the per-write record limit, descriptors the driver would
// skip, and modify's POLLREMOVE. An emulation, NOT the illumos kernel.
#include <errno.h>
#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "gtest/gtest.h"
#include "lib/selectors.h"
#include "tests/support/checks.h"
#include "tests/support/descriptors.h"

extern "C" int devpoll_emulation_mask(int devpoll_fd, int fd);
extern "C" int devpoll_emulation_write_count();

namespace seltool {
namespace {

using testing::errno_code;
using testing::make_bad_fd;
using testing::make_socketpair;
using testing::ready_fds;
using testing::SocketPair;
using testing::system_error_of;

// Sets the soft RLIMIT_NOFILE for the scope (Solaris' default is 256).
class SoftFdLimit {
 public:
  explicit SoftFdLimit(rlim_t soft) {
    EXPECT_EQ(::getrlimit(RLIMIT_NOFILE, &previous_), 0);
    rlimit lowered = previous_;
    lowered.rlim_cur = soft;
    EXPECT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
  }
  ~SoftFdLimit() { ::setrlimit(RLIMIT_NOFILE, &previous_); }

 private:
  rlimit previous_{};
};

int mask(const Selector& selector, int fd) {
  return devpoll_emulation_mask(*selector.fileno(), fd);
}

// 120 registrations and 120 modifies queue 360 records; one write() of them would exceed
// the limit of 256 (EINVAL, nothing applied, keys never reported). They must all apply.
TEST(DevpollEmulated, QueueLongerThanTheDescriptorLimitIsWrittenInParts) {
  const SoftFdLimit limit(256);
  auto selector = make_selector("devpoll");
  std::vector<SocketPair> pairs;
  std::vector<int> expected;
  for (int i = 0; i < 60; ++i) {
    pairs.push_back(make_socketpair());
    for (const auto* end : {&pairs.back().first, &pairs.back().second}) {
      selector->register_file(end->fileno(), EVENT_READ);
      expected.push_back(end->fileno());
    }
  }
  for (const int fd : expected) selector->modify(fd, EVENT_WRITE);
  const int writes_before = devpoll_emulation_write_count();
  std::vector<int> writable = ready_fds(selector->select(5), EVENT_WRITE);
  std::sort(writable.begin(), writable.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(writable, expected);
  EXPECT_EQ(devpoll_emulation_write_count(), writes_before + 1);  // the rest was written already
}

// The driver skips a record for a descriptor that is not open and never reports it.
TEST(DevpollEmulated, ClosedDescriptorIsRefusedAtRegistration) {
  auto selector = make_selector("devpoll");
  const int bad = make_bad_fd();
  EXPECT_EQ(system_error_of([&] { selector->register_file(bad, EVENT_READ); }), errno_code(EBADF));
  EXPECT_TRUE(selector->get_map().empty());
  EXPECT_TRUE(selector->select(0).empty());
  EXPECT_EQ(mask(*selector, bad), -1);
}

// Masks OR together in the driver: a modify must remove the old mask first.
TEST(DevpollEmulated, ModifyReplacesTheMask) {
  auto selector = make_selector("devpoll");
  SocketPair pair = make_socketpair();
  const int fd = pair.first.fileno();
  selector->register_file(fd, EVENT_READ);
  selector->modify(fd, EVENT_WRITE);
  EXPECT_EQ(ready_fds(selector->select(5), EVENT_WRITE), std::vector<int>{fd});
  EXPECT_EQ(mask(*selector, fd), POLLOUT);
  EXPECT_TRUE(ready_fds(selector->select(0), EVENT_READ).empty());
  selector->unregister(fd);
  selector->select(0);
  EXPECT_EQ(mask(*selector, fd), -1);
}

// A modify of a descriptor closed since its registration writes nothing until select(),
// where the driver skips the record: no error, and the key follows the modify.
TEST(DevpollEmulated, ModifyOfClosedDescriptorDoesNotFail) {
  auto selector = make_selector("devpoll");
  SocketPair pair = make_socketpair();
  const int fd = pair.first.fileno();
  selector->register_file(fd, EVENT_READ);
  selector->select(0);
  pair.first.close();
  const int writes_before = devpoll_emulation_write_count();
  EXPECT_EQ(selector->modify(fd, EVENT_WRITE).events, EVENT_WRITE);
  EXPECT_EQ(devpoll_emulation_write_count(), writes_before);
  EXPECT_NO_THROW(selector->select(0));
  EXPECT_NO_THROW(selector->unregister(fd));
}

}  // namespace
}  // namespace seltool
