// Where the OS tells of path changes (inotify, Linux's own build), a file: target and a followed
// file are seen when they change, not at the next --interval: with an interval of an hour,
// only a notice can make them ready before the timeout.
#include <sys/stat.h>

#include <fstream>

#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

class FileNotices : public ::testing::TestWithParam<std::string> {};

TEST_P(FileNotices, AFileThatAppearsIsSeenWithoutWaitingForTheInterval) {
  TempDir dir;
  const std::string path = dir.file("sub/ready");
  SeltoolProcess seltool({"wait", "-s", GetParam(), "-i", "1h", "-t", "20", "file:" + path});
  ASSERT_TRUE(seltool.read_event()) << seltool.rest_of_stderr(1s);
  EXPECT_TRUE(seltool.quiet_for(300ms)) << "its first look, after the start line, found nothing";
  ASSERT_EQ(::mkdir(dir.file("sub").c_str(), 0700), 0);
  std::ofstream(path) << "";
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*ready)["event"], "ready");
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(FileNotices, AnAppendIsSeenWithoutWaitingForTheInterval) {
  TempDir dir;
  const std::string log = dir.file("app.log");
  std::ofstream(log) << "first\n";
  SeltoolProcess seltool({"watch", "-s", GetParam(), "-F", "--data", "-i", "1h", "-t", "20", log});
  ASSERT_TRUE(seltool.read_event()) << seltool.rest_of_stderr(1s);
  const std::optional<Json> first = seltool.read_event();  // its first look
  ASSERT_TRUE(first) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*first)["data"], "first\n");
  std::ofstream(log, std::ios::app) << "line\n";
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*ready)["data"], "line\n");
}

INSTANTIATE_TEST_SUITE_P(Backends, FileNotices, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing
