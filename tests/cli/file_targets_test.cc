// file:PATH and file:///PATH targets (issue 16, "Files"): `wait` for a path to appear (or, with
// --invert-check, to go) while seltool runs, a bare word that names nothing, and what `watch -n`
// counts. Files are created and removed by the test while the real binary waits.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

class FileTargets : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<std::string> with_backend(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, {"-s", GetParam()});
    return args;
  }
};

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

TEST_P(FileTargets, WaitIsReadyWhenThePathAppearsWithItsDirectories) {
  TempDir dir;
  const std::string path = dir.file("a/b/ready");
  SeltoolProcess seltool(with_backend({"wait", "-t", "20", "-i", "100ms", "file:" + path}));
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start) << seltool.rest_of_stderr(1s);
  EXPECT_TRUE(seltool.quiet_for(200ms)) << "nothing there yet";
  ASSERT_EQ(::mkdir(dir.file("a").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir(dir.file("a/b").c_str(), 0700), 0);
  write_file(path, "");
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*ready)["event"], "ready");
  EXPECT_EQ((*ready)["target"], "file:" + path);
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(FileTargets, FileUrlNamesAnAbsolutePath) {
  TempDir dir;
  const std::string path = dir.file("ready");
  SeltoolProcess seltool(with_backend({"wait", "-t", "20", "-i", "100ms", "file://" + path}));
  ASSERT_TRUE(seltool.read_event());
  write_file(path, "x");
  EXPECT_EQ(seltool.wait_exit(), 0) << seltool.rest_of_stderr(1s);
  const Result localhost =
      run_seltool(with_backend({"wait", "-t", "5", "file://localhost" + path}));
  EXPECT_EQ(localhost.exit_code, 0) << localhost.err;
  const Result other_host = run_seltool({"wait", "-t", "5", "file://example.com" + path});
  EXPECT_EQ(other_host.exit_code, 2);
  EXPECT_NE(other_host.err.find("file:///ABSOLUTE/PATH"), std::string::npos) << other_host.err;
}

TEST_P(FileTargets, InvertCheckIsReadyWhenThePathIsRemoved) {
  TempDir dir;
  const std::string path = dir.file("app.pid");
  write_file(path, "123\n");
  SeltoolProcess seltool(
      with_backend({"wait", "--invert-check", "-t", "20", "-i", "100ms", "file:" + path}));
  ASSERT_TRUE(seltool.read_event());
  EXPECT_TRUE(seltool.quiet_for(300ms)) << "the file is still there";
  ASSERT_EQ(std::remove(path.c_str()), 0);
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*ready)["event"], "ready");
  EXPECT_EQ((*ready)["error"]["code"], "ENOENT");
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST(FileTargetsUsage, InvertCheckOfABarePathPointsToFile) {
  TempDir dir;
  const std::string path = dir.file("here");
  write_file(path, "");
  const Result result = run_seltool({"wait", "--invert-check", "-t", "1", path});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("file:" + path), std::string::npos) << result.err;
}

// A bare word that names nothing stays a usage error (a typo must not wait 30s), and the
// message says how to wait for the file instead.
TEST(FileTargetsUsage, AMissingBareWordIsAUsageErrorThatPointsToFile) {
  TempDir dir;
  SpawnOptions in_dir;
  in_dir.cwd = dir.file("");
  const Result result = run_seltool({"wait", "-t", "5", "app.ready"}, in_dir);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("'file:app.ready' waits for the file to appear"), std::string::npos)
      << result.err;
}

TEST(FileTargetsUsage, AFileThatNeverCameTimesOutNamingENOENT) {
  TempDir dir;
  const Result result = run_seltool({"wait", "-t", "300ms", "file:" + dir.file("never")});
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_NE(result.err.find("ENOENT"), std::string::npos) << result.err;
}

TEST_P(FileTargets, WatchOfAMissingFileWatchesItOnceItAppears) {
  TempDir dir;
  const std::string fifo = dir.file("later.fifo");
  SeltoolProcess seltool(
      with_backend({"watch", "--data", "-n", "1", "-t", "20", "-i", "100ms", "file:" + fifo}));
  ASSERT_TRUE(seltool.read_event());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_TRUE(seltool.quiet_for(300ms)) << "a FIFO without a writer is not ready";
  UniqueFd writer(::open(fifo.c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(writer);
  write_all(writer.get(), "hello");
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*ready)["data"], "hello");
  EXPECT_EQ(seltool.wait_exit(), 0);
}

// -n counts data events: two writers of a FIFO in turn are -n 2, although each writer's end
// ("hup" with 0 bytes) is reported too.
TEST_P(FileTargets, CountCountsDataEventsNotEnds) {
  TempDir dir;
  const std::string fifo = dir.file("f");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SeltoolProcess seltool(with_backend({"watch", "--data", "-n", "2", "-t", "20", fifo}));
  ASSERT_TRUE(seltool.read_event());
  for (const std::string text : {"one", "two"}) {
    // O_RDWR never blocks (Linux): a seltool that stopped at the first writer's end (as it did
    // when -n counted ends) fails the test instead of hanging it.
    UniqueFd writer(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(writer);
    write_all(writer.get(), text);
    const std::optional<Json> data = seltool.read_event();
    ASSERT_TRUE(data) << seltool.rest_of_stderr(1s);
    EXPECT_EQ(data->value("data", ""), text) << data->dump();
    if (text == "two") break;  // the second data event is the count
    writer.reset();            // the first writer's end, seen before the second writer comes
    const std::optional<Json> end = seltool.read_event();
    ASSERT_TRUE(end);
    EXPECT_EQ((*end)["events"], Json({"read", "hup"})) << end->dump();
  }
  EXPECT_EQ(seltool.wait_exit(), 0) << seltool.rest_of_stderr(1s);
  const std::vector<Json> rest = parse_lines(seltool.rest_of_stdout());
  ASSERT_FALSE(rest.empty());
  EXPECT_EQ(rest.back()["reason"], "count") << rest.back().dump();
}

INSTANTIATE_TEST_SUITE_P(Backends, FileTargets, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing
