// `seltool wait` against real pipes, loopback TCP and Unix listeners, with every Linux backend.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

class Wait : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<std::string> wait(std::vector<std::string> args) const {
    args.insert(args.begin(), {"wait", "-s", GetParam()});
    return args;
  }
};

TEST_P(Wait, ReadyDescriptorExitsZeroAtOnce) {
  Pipe pipe = make_pipe();
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  const Result result = run_seltool(wait({"3"}), passing({{3, pipe.read_end.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[0]["event"], "start");
  EXPECT_EQ(lines[0]["mode"], "all");
  EXPECT_EQ(lines[0]["targets"], Json::parse(R"([{"target":"3","fd":3,"events":["read"]}])"));
  EXPECT_EQ(lines[1]["event"], "ready");
  EXPECT_EQ(lines[1]["events"], Json({"read"}));
  EXPECT_EQ(lines[1]["bytes"], 1);
  EXPECT_EQ(lines[2]["event"], "summary");
  EXPECT_EQ(lines[2]["reason"], "ready");
  EXPECT_EQ(lines[2]["ready_targets"], 1);
  EXPECT_EQ(lines[2]["pending"], Json::array());
}

TEST_P(Wait, PipeBecomingReadableLaterEndsTheWait) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool(wait({"3"}), passing({{3, pipe.read_end.get()}}));
  ASSERT_TRUE(seltool.read_event());
  EXPECT_FALSE(seltool.wait_exit(300ms)) << "nothing is readable yet";
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(Wait, RetriesRefusedConnectsUntilTheListenerAppears) {
  const int port = free_tcp_port();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  SeltoolProcess seltool(wait({"-i", "100ms", "-t", "20", target}));
  // "t" counts from seltool's start, which is before its "start" line: the listener appears
  // at least 500 ms after that line is read, and after two refused attempts.
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start);
  EXPECT_EQ((*start)["event"], "start");
  const auto start_read = Clock::now();
  std::vector<Json> lines;
  while (lines.size() < 2) {
    const std::optional<Json> line = seltool.read_event();
    ASSERT_TRUE(line) << "no refused attempt reported";
    lines.push_back(*line);
  }
  std::this_thread::sleep_until(start_read + 500ms);  // a window: the listener comes late
  UniqueFd listener = listen_tcp(port);
  ASSERT_EQ(seltool.wait_exit(), 0);

  for (Json& line : parse_lines(seltool.rest_of_stdout())) lines.push_back(std::move(line));
  ASSERT_GE(lines.size(), 4u) << "at least two failed attempts, ready, summary";
  EXPECT_EQ(lines.back()["event"], "summary");
  lines.pop_back();
  int attempt = 0;
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["event"], "attempt_failed");
    EXPECT_EQ(lines[i]["target"], target);
    EXPECT_EQ(lines[i]["attempt"], ++attempt);
    EXPECT_EQ(lines[i]["error"]["code"], "ECONNREFUSED");
  }
  const Json& ready = lines.back();
  EXPECT_EQ(ready["event"], "ready");
  EXPECT_EQ(ready["events"], Json({"write"}));
  EXPECT_EQ(ready["peer"], target);
  EXPECT_GE(ready["t"].get<double>() - (*start)["t"].get<double>(), 0.5);
}

TEST_P(Wait, UnixSocketAppearingLaterEndsTheWait) {
  TempDir dir;
  const std::string path = dir.file("app.sock");
  SeltoolProcess seltool(wait({"-q", "-i", "50ms", "unix:" + path}));
  EXPECT_FALSE(seltool.wait_exit(300ms));
  UniqueFd listener = listen_unix(path);
  EXPECT_EQ(seltool.wait_exit(), 0);
  EXPECT_EQ(seltool.rest_of_stdout(), "") << "-q writes no events";
}

TEST_P(Wait, RunsTheCommandAndReturnsItsExitStatus) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  const Result result =
      run_seltool(wait({"-q", target, "--", "sh", "-c", "echo ran $0; exit 7", "ok"}));
  EXPECT_EQ(result.exit_code, 7) << result.err;
  EXPECT_EQ(result.out, "ran ok\n");
}

TEST_P(Wait, CommandNotFoundIs127AndNotExecutableIs126) {
  Pipe pipe = make_pipe();
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  const Result missing = run_seltool(wait({"-q", "3", "--", "/nonexistent/command"}),
                                     passing({{3, pipe.read_end.get()}}));
  EXPECT_EQ(missing.exit_code, 127);
  EXPECT_NE(missing.err.find("/nonexistent/command"), std::string::npos) << missing.err;

  TempDir dir;
  const std::string file = dir.file("not-executable");
  UniqueFd created(::creat(file.c_str(), 0600));
  ASSERT_TRUE(created);
  const Result denied =
      run_seltool(wait({"-q", "3", "--", file}), passing({{3, pipe.read_end.get()}}));
  EXPECT_EQ(denied.exit_code, 126);
}

TEST_P(Wait, TimeoutExits124AndDoesNotRunTheCommand) {
  TempDir dir;
  const std::string marker = dir.file("ran");
  const std::string target = "127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result =
      run_seltool(wait({"-t", "400ms", "-i", "100ms", target, "--", "touch", marker}));
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_GE(result.seconds, 0.4);
  EXPECT_LT(result.seconds, 10.0);
  EXPECT_NE(::access(marker.c_str(), F_OK), 0) << "the command must not run after a timeout";
  EXPECT_EQ(result.out, "") << "with -- COMMAND, stdout is the command's";
  EXPECT_EQ(result.err, "seltool: timed out after 0.4s; not ready: '" + target +
                            "' (ECONNREFUSED: Connection refused)\n");
}

TEST_P(Wait, TimeoutEndsWithTimeoutAndSummaryLines) {
  const std::string target = "127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result = run_seltool(wait({"-t", "300ms", "-i", "100ms", target}));
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_GE(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[lines.size() - 2]["event"], "timeout");
  const Json& summary = lines.back();
  EXPECT_EQ(lines[lines.size() - 2]["pending"], summary["pending"]);  // one shape in both
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["reason"], "timeout");
  EXPECT_EQ(summary["ready_targets"], 0);
  ASSERT_EQ(summary["pending"].size(), 1u);
  EXPECT_EQ(summary["pending"][0]["target"], target);
  EXPECT_EQ(summary["pending"][0]["error"]["code"], "ECONNREFUSED");
  EXPECT_NE(result.err.find("timed out after 0.3s; not ready: '" + target + "'"), std::string::npos)
      << result.err;
}

TEST_P(Wait, QuietSilencesTheFailureLine) {
  const std::string target = "127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result = run_seltool(wait({"-q", "-t", "200ms", target}));
  EXPECT_EQ(result.exit_code, 124);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
}

TEST_P(Wait, NothingOfSeltoolReachesTheCommandsStdout) {
  Pipe pipe = make_pipe();
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  const Result result =
      run_seltool(wait({"3", "--", "echo", "app"}), passing({{3, pipe.read_end.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "app\n");
  EXPECT_EQ(result.err, "");
}

TEST_P(Wait, AnyNeedsOneTargetAllNeedsEvery) {
  Pipe ready = make_pipe();
  Pipe idle = make_pipe();
  ASSERT_EQ(::write(ready.write_end.get(), "x", 1), 1);
  const SpawnOptions both = passing({{3, ready.read_end.get()}, {4, idle.read_end.get()}});
  const Result any = run_seltool(wait({"--any", "-t", "5", "3", "4"}), both);
  EXPECT_EQ(any.exit_code, 0) << any.err;
  const Result all = run_seltool(wait({"-t", "300ms", "3", "4"}), both);
  EXPECT_EQ(all.exit_code, 124) << all.err;
  const std::vector<Json> lines = parse_lines(all.out);
  ASSERT_EQ(lines.size(), 4u) << all.out;
  EXPECT_EQ(lines[1]["target"], "3");
  EXPECT_EQ(lines[2]["pending"], Json::parse(R"([{"target":"4"}])"));
  EXPECT_EQ(lines[3]["pending"], Json::parse(R"([{"target":"4"}])"));
  EXPECT_EQ(all.err, "seltool: timed out after 0.3s; not ready: '4' (not ready)\n");
}

// A duration with more digits than a double can hold is "no limit", not a crash (it aborted
// with an uncaught std::out_of_range from std::stod); one that small is a tiny wait.
TEST_P(Wait, DurationsBeyondDoubleRangeAreAcceptedNotACrash) {
  Pipe pipe = make_pipe();
  ASSERT_EQ(::write(pipe.write_end.get(), "x", 1), 1);
  const SpawnOptions ready = passing({{3, pipe.read_end.get()}});
  const Result huge = run_seltool(wait({"-q", "-t", "1" + std::string(400, '0'), "3"}), ready);
  EXPECT_EQ(huge.exit_code, 0) << huge.err;
  const Result tiny =
      run_seltool(wait({"-q", "-t", "0." + std::string(400, '0') + "1", "3"}), ready);
  EXPECT_EQ(tiny.exit_code, 0) << tiny.err;
}

// SIGTERM/SIGINT still end wait as they always did (killed by the signal), but the socket
// file of a unix-listen target is removed first: it was left behind and blocked the next run.
TEST_P(Wait, SignalKillsAfterRemovingTheUnixListenSocketFile) {
  for (int number : {SIGINT, SIGTERM}) {
    TempDir dir;
    const std::string path = dir.file("wait.sock");
    SeltoolProcess seltool(wait({"-t", "20", "unix-listen:" + path}));
    ASSERT_TRUE(seltool.read_event());
    ASSERT_EQ(::access(path.c_str(), F_OK), 0);
    seltool.signal(number);
    EXPECT_EQ(seltool.wait_exit(), 128 + number);
    EXPECT_NE(::access(path.c_str(), F_OK), 0) << path << " was left behind, signal " << number;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, Wait, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing
