// Selector::accept_always_ready_files(): descriptors that can never block (regular files,
// /dev/null) are accepted by every backend and reported ready for all their events, as
// select and poll report them anyway. Run for every backend.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <system_error>
#include <vector>

#include "tests/lib/test_support.h"

namespace seltool::testing {
namespace {

class AlwaysReadyTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    selector->accept_always_ready_files();
  }
};

UniqueFd open_dev_null() {
  UniqueFd fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!fd) throw std::system_error(errno, std::generic_category(), "open /dev/null");
  return fd;
}

// A regular file holding one byte, its offset at the start. Readable on every backend and every
// select (nothing reads it): the always-ready keys and select and poll say so at any offset;
// kqueue, which watches regular files itself, only while the offset is before the end
// (FreeBSD's filt_vfsread(), modelled by the kqueue emulation), so an empty file never is.
UniqueFd make_unread_file() {
  UniqueFd file = make_temp_file();
  write_all(file.get(), "x");
  if (::lseek(file.get(), 0, SEEK_SET) != 0) {
    throw std::system_error(errno, std::generic_category(), "lseek");
  }
  return file;
}

// The one entry select(timeout) returns: `fd` with `events` and no conditions.
void expect_only(Selector& selector, int fd, Events events) {
  const ReadyList ready = selector.select(5);
  ASSERT_EQ(ready.size(), 1u);
  const Ready entry = *ready.begin();
  EXPECT_EQ(entry.key.fd, fd);
  EXPECT_EQ(entry.events, events);
  EXPECT_EQ(entry.conditions, 0u);
}

TEST_P(AlwaysReadyTest, RegularFileIsReadyForAllItsEventsOnEverySelect) {
  UniqueFd file = make_unread_file();
  int data = 7;
  const SelectorKey& key = selector->register_file(file, EVENT_READ | EVENT_WRITE, &data);
  EXPECT_EQ(&selector->get_key(file), &key);
  EXPECT_EQ(std::any_cast<int*>(key.data), &data);
  EXPECT_TRUE(selector->get_map().contains(file));
  EXPECT_EQ(selector->get_map().size(), 1u);
  for (int round = 0; round < 3; ++round) expect_only(*selector, file.get(), key.events);
  EXPECT_EQ(ready_fds(selector->select(0), EVENT_WRITE), std::vector<int>{file.get()});
}

TEST_P(AlwaysReadyTest, DevNullIsReadyForWhatWasAsked) {
  UniqueFd dev_null = open_dev_null();
  selector->register_file(dev_null, EVENT_READ);
  expect_only(*selector, dev_null.get(), EVENT_READ);
}

TEST_P(AlwaysReadyTest, ModifyChangesEventsAndData) {
  UniqueFd file = make_unread_file();
  selector->register_file(file, EVENT_READ);
  int data = 1;
  const SelectorKey& key = selector->modify(file, EVENT_WRITE, &data);
  EXPECT_EQ(key.events, EVENT_WRITE);
  EXPECT_EQ(std::any_cast<int*>(selector->get_key(file).data), &data);
  expect_only(*selector, file.get(), EVENT_WRITE);
  selector->modify(file, EVENT_READ | EVENT_WRITE);
  expect_only(*selector, file.get(), EVENT_READ | EVENT_WRITE);
}

TEST_P(AlwaysReadyTest, UnregisterForgetsTheFileAndLeavesTheOthers) {
  UniqueFd first = make_unread_file();
  UniqueFd second = open_dev_null();
  UniqueFd third = make_unread_file();
  for (const UniqueFd* fd : {&first, &second, &third}) selector->register_file(*fd, EVENT_READ);
  EXPECT_EQ(selector->unregister(second).fd, second.get());
  EXPECT_FALSE(selector->get_map().contains(second));
  std::vector<int> ready = ready_fds(selector->select(5), EVENT_READ);
  std::sort(ready.begin(), ready.end());
  EXPECT_EQ(ready, (std::vector<int>{first.get(), third.get()}));

  selector->unregister(first);
  selector->unregister(third);
  EXPECT_TRUE(selector->get_map().empty());
  EXPECT_TRUE(selector->select(0).empty());
  // Registered again, it is ready again.
  selector->register_file(second, EVENT_WRITE);
  expect_only(*selector, second.get(), EVENT_WRITE);
}

TEST_P(AlwaysReadyTest, SelectWithTimeoutReturnsAtOnceWithTheOtherReadyKeys) {
  UniqueFd file = make_unread_file();
  Pipe idle = make_pipe();
  Pipe busy = make_pipe();
  selector->register_file(idle.read_end, EVENT_READ);
  selector->register_file(busy.read_end, EVENT_READ);
  selector->register_file(file, EVENT_READ);
  write_all(busy.write_end.get(), "x");
  const Stopwatch stopwatch;
  std::vector<int> ready = ready_fds(selector->select(60), EVENT_READ);
  // Blocking would take the whole minute: any bound far below it tells the two apart.
  EXPECT_LT(stopwatch.seconds(), 30.0);
  std::sort(ready.begin(), ready.end());
  std::vector<int> expected{busy.read_end.get(), file.get()};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(ready, expected);
  // Without a timeout too.
  EXPECT_EQ(ready_fds(selector->select(), EVENT_READ).size(), 2u);
}

TEST_P(AlwaysReadyTest, ClosedFileCanBeUnregistered) {
  UniqueFd file = make_unread_file();
  const int fd = file.get();
  selector->register_file(fd, EVENT_READ);
  file.reset();
  EXPECT_EQ(selector->unregister(fd).fd, fd);
  EXPECT_TRUE(selector->get_map().empty());
}

TEST_P(AlwaysReadyTest, DisablingAffectsOnlyLaterRegistrations) {
  UniqueFd kept = make_unread_file();
  UniqueFd later = make_unread_file();
  selector->register_file(kept, EVENT_READ);
  selector->accept_always_ready_files(false);
  if (!traits().watches_regular_files) {  // epoll
    EXPECT_EQ(system_error_of([&] { selector->register_file(later, EVENT_READ); }),
              errno_code(EPERM));
  } else {
    selector->register_file(later, EVENT_READ);  // watched by the kernel, which reports it
  }
  EXPECT_NE(ready_fds(selector->select(5), EVENT_READ).size(), 0u);
  EXPECT_TRUE(selector->get_map().contains(kept));
}

TEST_P(AlwaysReadyTest, ClosedSelectorRefusesThePolicy) {
  UniqueFd file = make_unread_file();
  selector->register_file(file, EVENT_READ);
  selector->close();
  EXPECT_THROW(selector->accept_always_ready_files(), selector_closed);
  EXPECT_THROW(selector->accept_always_ready_files(false), selector_closed);
}

TEST(AlwaysReadyDefault, PythonSemanticsStayTheDefault) {
  auto selector = make_default_selector();
  if (selector->traits().watches_regular_files) {
    GTEST_SKIP() << selector->name() << " watches regular files (only epoll refuses them)";
  }
  UniqueFd file = make_unread_file();
  EXPECT_EQ(system_error_of([&] { selector->register_file(file, EVENT_READ); }), errno_code(EPERM));
  EXPECT_TRUE(selector->get_map().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, AlwaysReadyTest, ::testing::ValuesIn(backend_params()),
                         param_name);

}  // namespace
}  // namespace seltool::testing
