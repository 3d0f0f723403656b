// `seltool watch` against real pipes, FIFOs, socketpairs and loopback sockets, with every
// Linux backend.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

std::string drain(int fd, std::size_t count) {
  std::string bytes(count, '\0');
  EXPECT_EQ(::read(fd, bytes.data(), count), ssize_t(count));
  return bytes;
}

class Watch : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<std::string> watch(std::vector<std::string> args) const {
    args.insert(args.begin(), {"watch", "-s", GetParam()});
    return args;
  }

  // Reads the "start" line that says every target is registered.
  static void expect_start(SeltoolProcess& seltool) {
    const std::optional<Json> start = seltool.read_event();
    ASSERT_TRUE(start);
    EXPECT_EQ((*start)["event"], "start");
  }
};

TEST_P(Watch, PipeBecomingReadableLaterIsReportedLiveThroughAPipe) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool(watch({"3"}), passing({{3, pipe.read_end.get()}}));
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start);
  EXPECT_EQ((*start)["selector"], GetParam());
  EXPECT_TRUE(seltool.quiet_for(300ms)) << "nothing is readable yet";

  write_all(pipe.write_end.get(), "abc");
  const std::optional<Json> ready = seltool.read_event(5s);
  ASSERT_TRUE(ready);
  EXPECT_TRUE(seltool.running()) << "the line must arrive while seltool still runs (flushed)";
  EXPECT_EQ((*ready)["event"], "ready");
  EXPECT_EQ((*ready)["target"], "3");
  EXPECT_EQ((*ready)["fd"], 3);
  EXPECT_EQ((*ready)["events"], Json({"read"}));
  EXPECT_EQ((*ready)["bytes"], 3);
  EXPECT_GE((*ready)["t"].get<double>(), 0.3);
  const std::string ts = (*ready)["ts"];
  EXPECT_EQ(ts.size(), std::string("2026-11-26T20:50:01.123456Z").size()) << ts;
  EXPECT_EQ(ts.back(), 'Z');
}

TEST_P(Watch, UnreadDataIsReportedOnceThenNewDataIsReported) {
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "a");
  SeltoolProcess seltool(watch({"3"}), passing({{3, pipe.read_end.get()}}));
  expect_start(seltool);
  const std::optional<Json> first = seltool.read_event();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["bytes"], 1);
  EXPECT_TRUE(seltool.quiet_for(700ms)) << "unchanged readiness must not be reported again";

  write_all(pipe.write_end.get(), "bc");
  const std::optional<Json> second = seltool.read_event(5s);
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["events"], Json({"read"}));
  EXPECT_EQ((*second)["bytes"], 3);
}

TEST_P(Watch, NoBusyLoopWhileAReadablePipeIsLeftUnread) {
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "data");
  SeltoolProcess seltool(watch({"3"}), passing({{3, pipe.read_end.get()}}));
  expect_start(seltool);
  ASSERT_TRUE(seltool.read_event());
  // Only the quiet second is measured: start-up under a sanitizer costs more than the bound.
  const double cpu_before = cpu_seconds_of(seltool.pid());
  EXPECT_TRUE(seltool.quiet_for(1000ms));
  const double cpu_used = cpu_seconds_of(seltool.pid()) - cpu_before;
  seltool.signal(SIGTERM);
  ASSERT_EQ(seltool.wait_exit(), 0);
  // A busy loop would burn about a second of CPU in that second.
  EXPECT_LT(cpu_used, 0.25);
}

TEST_P(Watch, EndOfStreamIsReportedAndTheLastTargetEndsTheWatch) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool(watch({"3"}), passing({{3, pipe.read_end.get()}}));
  expect_start(seltool);
  pipe.write_end.reset();
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["events"], Json({"read", "hup"}));
  EXPECT_EQ((*ready)["bytes"], 0);
  const std::optional<Json> summary = seltool.read_event();
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["event"], "summary");
  EXPECT_EQ((*summary)["reason"], "closed");
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(Watch, SocketPeerClosingIsAHangup) {
  auto [mine, peer] = make_socketpair();
  SeltoolProcess seltool(watch({"fd:3"}), passing({{3, mine.fileno()}}));
  expect_start(seltool);
  peer.close();
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["target"], "fd:3");
  EXPECT_EQ((*ready)["events"], Json({"read", "hup"}));
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(Watch, WriteReadinessIsReportedWhenAFullPipeDrains) {
  Pipe pipe = make_pipe();
  ASSERT_EQ(::fcntl(pipe.write_end.get(), F_SETFL, O_NONBLOCK), 0);
  const std::string chunk(4096, 'x');
  std::size_t filled = 0;
  for (int i = 0; i < 1024 && ::write(pipe.write_end.get(), chunk.data(), chunk.size()) > 0; ++i) {
    filled += chunk.size();
  }
  SeltoolProcess seltool(watch({"-e", "write", "3"}), passing({{3, pipe.write_end.get()}}));
  expect_start(seltool);
  EXPECT_TRUE(seltool.quiet_for(300ms)) << "a full pipe is not writable";

  std::string sink(filled, '\0');
  for (std::size_t got = 0; got < filled;) {
    const ssize_t n = ::read(pipe.read_end.get(), sink.data(), filled - got);
    ASSERT_GT(n, 0);
    got += std::size_t(n);
  }
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["events"], Json({"write"}));
  EXPECT_FALSE(ready->contains("bytes"));
}

// A pipe whose reader went away is "writable" only in that a write fails (EPIPE): that is its
// end, reported as an error. It was reported as plain "write" once and watched forever.
TEST_P(Watch, PipeWithoutReaderIsAnErrorAndEndsTheWatch) {
  Pipe pipe = make_pipe();
  pipe.read_end.reset();
  const Result result =
      run_seltool(watch({"-e", "write", "-t", "5", "3"}), passing({{3, pipe.write_end.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_LT(result.seconds, 4.0);
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["events"], Json({"write", "error"}));
  EXPECT_EQ(lines[1]["error"]["code"], "EPIPE");
  EXPECT_EQ(lines[2]["reason"], "closed");
}

TEST_P(Watch, DataIsConsumedAndShownAsTextOrBase64) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool(watch({"--data", "-n", "2", "3"}), passing({{3, pipe.read_end.get()}}));
  expect_start(seltool);
  write_all(pipe.write_end.get(), "h\xc3\xa9llo \"quoted\"\n");
  const std::optional<Json> text = seltool.read_event();
  ASSERT_TRUE(text);
  EXPECT_EQ((*text)["data"], "h\xc3\xa9llo \"quoted\"\n");
  EXPECT_EQ((*text)["encoding"], "utf-8");
  EXPECT_EQ((*text)["bytes"], 16);

  write_all(pipe.write_end.get(), std::string("\xff\x00", 2));
  const std::optional<Json> binary = seltool.read_event();
  ASSERT_TRUE(binary);
  EXPECT_EQ((*binary)["data"], "/wA=");
  EXPECT_EQ((*binary)["encoding"], "base64");
  const std::optional<Json> summary = seltool.read_event();
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["reason"], "count");
  EXPECT_EQ((*summary)["ready_events"], 2);
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(Watch, ConsumeReportsEachChunkThenTheEnd) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool(watch({"--consume", "3"}), passing({{3, pipe.read_end.get()}}));
  expect_start(seltool);
  write_all(pipe.write_end.get(), "12345");
  const std::optional<Json> first = seltool.read_event();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["bytes"], 5);
  EXPECT_FALSE(first->contains("data"));
  write_all(pipe.write_end.get(), "67890");
  const std::optional<Json> second = seltool.read_event();
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["bytes"], 5) << "the same count again is news when the data was consumed";
  pipe.write_end.reset();
  const std::optional<Json> end = seltool.read_event();
  ASSERT_TRUE(end);
  EXPECT_EQ((*end)["events"], Json({"read", "hup"}));
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(Watch, TimeoutExits124AfterAtLeastTheTimeout) {
  Pipe pipe = make_pipe();
  const Result result =
      run_seltool(watch({"-t", "300ms", "3"}), passing({{3, pipe.read_end.get()}}));
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_GE(result.seconds, 0.3);
  EXPECT_LT(result.seconds, 10.0);
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["reason"], "timeout");
}

// With SIGPIPE ignored (as some parents leave it), a reader of stdout that went away made
// watch go on consuming its targets, writing nowhere, until the timeout or forever.
TEST_P(Watch, StdoutClosedByItsReaderEndsTheWatch) {
  Pipe input = make_pipe();
  Pipe output = make_pipe();
  output.read_end.reset();
  ASSERT_EQ(::write(input.write_end.get(), "x", 1), 1);
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);  // inherited by the child through exec
  const Result result =
      run_seltool(watch({"--consume", "-t", "10", "3"}),
                  passing({{3, input.read_end.get()}, {1, output.write_end.get()}}));
  ::sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_EQ(result.exit_code, 125) << result.err;
  EXPECT_LT(result.seconds, 5.0);
  EXPECT_NE(result.err.find("stdout"), std::string::npos) << result.err;
}

TEST_P(Watch, SigintAndSigtermStopWithExitZero) {
  for (int number : {SIGINT, SIGTERM}) {
    Pipe pipe = make_pipe();
    SeltoolProcess seltool(watch({"3"}), passing({{3, pipe.read_end.get()}}));
    expect_start(seltool);
    seltool.signal(number);
    const std::optional<Json> summary = seltool.read_event();
    ASSERT_TRUE(summary);
    EXPECT_EQ((*summary)["reason"], "signal");
    EXPECT_EQ(seltool.wait_exit(), 0) << "signal " << number;
  }
}

TEST_P(Watch, RefusedConnectIsAnErrorEventAndExitOne) {
  const std::string target = "tcp:127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result = run_seltool(watch({target}));
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["event"], "error");
  EXPECT_EQ(lines[1]["target"], target);
  EXPECT_EQ(lines[1]["error"]["code"], "ECONNREFUSED");
  EXPECT_EQ(lines[1]["error"]["errno"], ECONNREFUSED);
  EXPECT_EQ(lines[2]["reason"], "failed");
}

TEST_P(Watch, ConnectedSocketIsWritableWithItsAddresses) {
  UniqueFd listener = listen_tcp(0);
  const std::string peer = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  const Result result = run_seltool(watch({"--once", peer}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["events"], Json({"write"}));
  EXPECT_EQ(lines[1]["peer"], peer);
  EXPECT_EQ(lines[1]["local"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
}

TEST_P(Watch, ListenerIsReadableWhenAClientConnects) {
  SeltoolProcess seltool(watch({"--once", "tcp-listen:127.0.0.1:0"}));
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start);
  const std::string local = (*start)["targets"][0]["local"];
  const int port = std::stoi(local.substr(local.rfind(':') + 1));
  EXPECT_TRUE(seltool.quiet_for(200ms));
  UniqueFd client = connect_tcp(port);
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["events"], Json({"read"}));
  EXPECT_EQ(seltool.wait_exit(), 0);
}

TEST_P(Watch, FifoWithAnEscapedNameAndUnixListener) {
  TempDir dir;
  const std::string fifo = dir.file("odd \"name\"\\fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string socket_path = dir.file("s");
  SeltoolProcess seltool(watch({"-n", "2", "--consume", fifo, "unix-listen:" + socket_path}));
  expect_start(seltool);

  UniqueFd writer(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(writer);
  write_all(writer.get(), "hi");
  const std::optional<Json> from_fifo = seltool.read_event();
  ASSERT_TRUE(from_fifo);
  EXPECT_EQ((*from_fifo)["target"], fifo);
  EXPECT_EQ((*from_fifo)["bytes"], 2);

  UniqueFd client = connect_unix(socket_path);
  const std::optional<Json> from_listener = seltool.read_event();
  ASSERT_TRUE(from_listener);
  EXPECT_EQ((*from_listener)["target"], "unix-listen:" + socket_path);
  EXPECT_EQ((*from_listener)["events"], Json({"read"}));
  EXPECT_EQ(seltool.wait_exit(), 0);
  EXPECT_NE(::access(socket_path.c_str(), F_OK), 0) << "the socket file is removed at exit";
}

// One scripted scenario; the lines seltool wrote, without "t", "ts" and the backend's name.
std::vector<Json> agreement_scenario(const std::string& backend) {
  Pipe pipe = make_pipe();
  auto [mine, peer] = make_socketpair();
  SeltoolProcess seltool({"watch", "-s", backend, "-e", "read,write", "3", "4"},
                         passing({{3, mine.fileno()}, {4, pipe.read_end.get()}}));
  std::vector<Json> lines;
  const auto next = [&] {
    std::optional<Json> line = seltool.read_event();
    EXPECT_TRUE(line) << backend;
    if (!line) return;
    line->erase("t");
    line->erase("ts");
    line->erase("selector");
    lines.push_back(*line);
  };
  next();  // start
  next();  // the socket is writable
  write_all(pipe.write_end.get(), "ab");
  next();
  write_all(peer.fileno(), "xyz");
  next();
  drain(pipe.read_end.get(), 2);
  pipe.write_end.reset();
  next();
  drain(mine.fileno(), 3);
  peer.close();
  next();
  next();  // summary
  EXPECT_EQ(seltool.wait_exit(), 0) << backend;
  return lines;
}

TEST(WatchBackends, AllBackendsWriteTheSameEvents) {
  const std::vector<Json> expected = agreement_scenario(kBackends.front());
  ASSERT_EQ(expected.size(), 7u);
  EXPECT_EQ(expected[1]["events"], Json({"write"}));
  EXPECT_EQ(expected[2]["fd"], 4);
  EXPECT_EQ(expected[3]["events"], Json({"read", "write"}));
  EXPECT_EQ(expected[3]["bytes"], 3);
  EXPECT_EQ(expected[5]["events"], Json({"read", "write", "hup"}));
  for (const std::string& backend : kBackends) {
    const std::vector<Json> lines = agreement_scenario(backend);
    ASSERT_EQ(lines.size(), expected.size()) << backend;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      EXPECT_EQ(lines[i], expected[i]) << backend << " line " << i;
    }
  }
}

TEST(WatchBackends, SelectRefusesDescriptorsAtFdSetsizeAndPollWatchesThem) {
  constexpr int kHighFd = 1500;
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_max <= kHighFd + 10) GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low";
  limit.rlim_cur = std::max<rlim_t>(limit.rlim_cur, kHighFd + 10);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);

  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "x");
  const Result refused =
      run_seltool({"watch", "-s", "select", "1500"}, passing({{kHighFd, pipe.read_end.get()}}));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.out, "");
  EXPECT_NE(refused.err.find("FD_SETSIZE"), std::string::npos) << refused.err;

  const Result watched = run_seltool({"watch", "-s", "poll", "--once", "1500"},
                                     passing({{kHighFd, pipe.read_end.get()}}));
  EXPECT_EQ(watched.exit_code, 0) << watched.err;
  const std::vector<Json> lines = parse_lines(watched.out);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1]["fd"], kHighFd);
}

INSTANTIATE_TEST_SUITE_P(Backends, Watch, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing
