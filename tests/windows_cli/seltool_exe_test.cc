// seltool.exe (the mingw-w64 build) under wine, driven from Linux over 127.0.0.1: on Windows
// the targets are sockets, and these are the CLI behaviours that apply to them. Timeouts are
// generous: wine starts a process in a second or more, more on a busy machine.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/support/clients.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

constexpr auto kWine = 60s;  // any single step under wine

class SeltoolExe : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    set_seltool_command({runfile("tools/wine_run.sh"), runfile("cli/seltool.exe")});
    // The first run may create the wine prefix (seconds): not inside a test's timeouts.
    run_seltool({"--version"}, {}, 300s);
  }
};

Result run(const std::vector<std::string>& args) { return run_seltool(args, {}, 120s); }

TEST_F(SeltoolExe, SelectorsListsWhatWindowsHas) {
  const Result result = run({"selectors"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 1u) << result.out;
  EXPECT_EQ(lines[0]["default"], "afd");
  for (const Json& backend : lines[0]["backends"]) {
    const bool windows = backend["name"] == "afd" || backend["name"] == "select";
    EXPECT_EQ(backend["compiled"], windows) << backend;
    EXPECT_EQ(backend["usable"], windows) << backend;
  }
}

TEST_F(SeltoolExe, WaitEndsWhenAListenerOpensLater) {
  const int port = free_tcp_port();
  const std::string target = "127.0.0.1:" + std::to_string(port);
  SeltoolProcess seltool({"wait", "-t", "120", "-i", "200ms", target});
  const auto start = seltool.read_event(kWine);
  ASSERT_TRUE(start) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*start)["event"], "start");
  const auto refused = seltool.read_event(kWine);
  ASSERT_TRUE(refused);
  EXPECT_EQ((*refused)["event"], "attempt_failed");
  EXPECT_EQ((*refused)["error"]["code"], "ECONNREFUSED");
  EXPECT_EQ((*refused)["error"]["message"], "Connection refused");

  UniqueFd listener = listen_tcp(port);
  const auto ready = wait_for_event(seltool, "ready", kWine);
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["target"], target);
  EXPECT_EQ((*ready)["events"], Json({"write"}));
  const auto summary = seltool.read_event(kWine);
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["reason"], "ready");
  EXPECT_EQ(seltool.wait_exit(kWine), 0);
}

TEST_F(SeltoolExe, WaitOnARefusedPortTimesOutWith124) {
  const std::string target = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result = run({"wait", "-t", "1s", target});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_GE(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["error"]["code"], "ECONNREFUSED");
  EXPECT_EQ(lines.back()["event"], "summary");
  EXPECT_EQ(lines.back()["reason"], "timeout");
  EXPECT_NE(result.err.find("timed out after 1s"), std::string::npos) << result.err;
}

TEST_F(SeltoolExe, WatchReportsARefusedConnectAndExits1) {
  const std::string target = "tcp:127.0.0.1:" + std::to_string(free_tcp_port());
  const Result result = run({"watch", target});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["event"], "error");
  EXPECT_EQ(lines[1]["error"]["code"], "ECONNREFUSED");
  EXPECT_EQ(lines[2]["reason"], "failed");
}

TEST_F(SeltoolExe, WatchedListenerIsReadableWhenAClientConnects) {
  SeltoolProcess seltool({"watch", "--once", "tcp-listen:127.0.0.1:0"});
  const auto start = seltool.read_event(kWine);
  ASSERT_TRUE(start) << seltool.rest_of_stderr(1s);
  const std::string local = (*start)["targets"][0]["local"];
  const int port = std::stoi(local.substr(local.rfind(':') + 1));
  UniqueFd client = connect_tcp(port);
  const auto ready = seltool.read_event(kWine);
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["events"], Json({"read"}));
  EXPECT_EQ(seltool.wait_exit(kWine), 0);
}

TEST_F(SeltoolExe, WaitRunsTheCommandAndExitsWithItsCode) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  const Result result = run({"wait", "-q", target, "--", "cmd", "/c", "exit 3"});
  EXPECT_EQ(result.exit_code, 3) << result.err;
}

// Targets Windows cannot watch, and bad input: exit 2, one line on stderr, nothing on stdout.
TEST_F(SeltoolExe, BadInputIsAUsageErrorThatSaysWhy) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"watch", "0"}, "a descriptor number cannot be watched on Windows"},
      {{"watch", "-"}, "a descriptor number cannot be watched on Windows"},
      {{"wait", "fd:3"}, "a descriptor number cannot be watched on Windows"},
      {{"watch", "./some/file"}, "a path cannot be watched on Windows"},
      // "/t" and "/q" are paths, not Windows-style spellings of -t and -q.
      {{"watch", "/t"}, "a path cannot be watched on Windows"},
      {{"wait", "/q", "127.0.0.1:1"}, "a path cannot be watched on Windows"},
      {{"watch", "unix:/run/app.sock"}, "Unix sockets are not supported on Windows"},
      {{"echo", "--listen", "unix:/tmp/echo.sock"}, "Unix sockets are not supported on Windows"},
      {{"watch", "localhost:99999"}, "PORT must be a number"},
      {{"wait", "-t", "soon", "127.0.0.1:1"}, "soon"},
      {{"frobnicate"}, "unknown command"},
  };
  for (const auto& [args, expected] : cases) {
    const Result result = run(args);
    EXPECT_EQ(result.exit_code, 2) << args[0] << " " << args.back() << ": " << result.err;
    EXPECT_EQ(result.out, "") << args.back();
    EXPECT_NE(result.err.find(expected), std::string::npos) << args.back() << ": " << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  }
}

// --help on Windows lists only what Windows accepts: TCP targets and listeners, and the exit
// status of a wait stopped by Ctrl-C (Windows' STATUS_CONTROL_C_EXIT, not 128+N).
TEST_F(SeltoolExe, HelpListsOnlyWhatWindowsAccepts) {
  const Result help = run({"wait", "--help"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  // The TARGET forms (the Arguments section) and the exit codes; the footer's prose about
  // http[s]:// and database targets is shared with POSIX (not changed here).
  const std::size_t arguments = help.out.find("Arguments:");
  const std::size_t options = help.out.find("Options:");
  ASSERT_LT(arguments, options) << help.out;
  Result wait = help;
  wait.out = help.out.substr(arguments, options - arguments) +
             help.out.substr(help.out.find("Exit codes", options));
  for (const char* form :
       {"HOST:PORT", "tcp:HOST:PORT", "tcp://HOST:PORT", "tcp-listen:[HOST:]PORT", "0xC000013A"}) {
    EXPECT_NE(wait.out.find(form), std::string::npos) << form << " missing:\n" << wait.out;
  }
  for (const char* form :
       {"unix:PATH", "fd:N", "pid:PID:FD", "http://", "redis://", "file:PATH", "128+N"}) {
    EXPECT_EQ(wait.out.find(form), std::string::npos) << form << " listed:\n" << wait.out;
  }
  const Result echo = run({"echo", "--help"});
  ASSERT_EQ(echo.exit_code, 0) << echo.err;
  EXPECT_NE(echo.out.find("[V6]:PORT"), std::string::npos) << echo.out;
  EXPECT_EQ(echo.out.find("unix:"), std::string::npos) << echo.out;
}

// Ctrl-C ends `wait` with the status its help states: STATUS_CONTROL_C_EXIT, of which wine
// hands Linux the low byte (0x3A).
TEST_F(SeltoolExe, WaitStoppedByCtrlCExitsAsTheHelpSays) {
  const int port = free_tcp_port();
  SeltoolProcess seltool({"wait", "-t", "120", "-i", "200ms", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(wait_for_event(seltool, "attempt_failed", kWine))
      << "stderr: " << seltool.rest_of_stderr(1s)
      << " exit: " << seltool.wait_exit(kWine).value_or(-1);
  seltool.signal(SIGINT);
  EXPECT_EQ(seltool.wait_exit(kWine), int(0xC000013AU & 0xFF));
}

struct Echo {
  explicit Echo(std::vector<std::string> args)
      : process((args.insert(args.begin(), {"echo", "--listen", "127.0.0.1:0"}), args)),
        port(listening_port(process, kWine)) {}
  SeltoolProcess process;
  int port;
};

TEST_F(SeltoolExe, EchoReturnsOneMebibyteByteForByteTo50ConcurrentClients) {
  Echo server({"-q"});
  ASSERT_GT(server.port, 0) << server.process.rest_of_stderr(1s);
  std::vector<UniqueFd> clients;
  std::vector<int> fds;
  std::vector<std::string> payloads;
  for (unsigned i = 0; i < 50; ++i) {
    clients.push_back(connect_tcp(server.port));
    fds.push_back(clients.back().get());
    payloads.push_back(random_bytes(i == 0 ? 1 << 20 : 64 << 10, 500 + i));
  }
  const auto received = echo_concurrently(fds, payloads, 120s);
  for (std::size_t i = 0; i < fds.size(); ++i) {
    EXPECT_TRUE(received[i] == payloads[i]) << "client " << i << " got " << received[i].size()
                                            << " of " << payloads[i].size() << " bytes";
  }
}

// Past select()'s 512 sockets: the default backend (afd) serves 1,000 clients at once (select
// reset 90 of 600 with "too many sockets watched for reading by select()").
TEST_F(SeltoolExe, EchoReturnsEveryByteToAThousandConcurrentClients) {
  Echo server({"-q"});
  ASSERT_GT(server.port, 0) << server.process.rest_of_stderr(1s);
  std::vector<UniqueFd> clients;
  std::vector<int> fds;
  std::vector<std::string> payloads;
  for (unsigned i = 0; i < 1000; ++i) {
    clients.push_back(connect_tcp(server.port));
    fds.push_back(clients.back().get());
    payloads.push_back(random_bytes(4096, 2000 + i));
  }
  const auto received = echo_concurrently(fds, payloads, 300s);
  std::size_t exact = 0;
  for (std::size_t i = 0; i < fds.size(); ++i) {
    exact += received[i] == payloads[i];
    EXPECT_TRUE(received[i] == payloads[i]) << "client " << i << " got " << received[i].size()
                                            << " of " << payloads[i].size() << " bytes";
  }
  EXPECT_EQ(exact, fds.size());
}

TEST_F(SeltoolExe, EchoMaxConnectionsMakesExtraClientsWait) {
  Echo server({"--max-connections", "2"});
  ASSERT_GT(server.port, 0) << server.process.rest_of_stderr(1s);
  UniqueFd first = connect_tcp(server.port);
  UniqueFd second = connect_tcp(server.port);
  write_all(first.get(), "1");
  write_all(second.get(), "2");
  ASSERT_EQ(read_exact(first.get(), 1, kWine), "1");
  ASSERT_EQ(read_exact(second.get(), 1, kWine), "2");
  UniqueFd third = connect_tcp(server.port);
  write_all(third.get(), "3");
  EXPECT_FALSE(readable_within(third.get(), 1s)) << "served beyond --max-connections";
  first.reset();
  EXPECT_EQ(read_exact(third.get(), 1, kWine), "3");
}

// A port another seltool.exe listens on is refused (SO_EXCLUSIVEADDRUSE; Windows' SO_REUSEADDR
// would share it), and said as a port in use: exit 2.
TEST_F(SeltoolExe, APortInUseIsAUsageErrorNotShared) {
  Echo first({"-q"});
  ASSERT_GT(first.port, 0) << first.process.rest_of_stderr(1s);
  const std::string address = "127.0.0.1:" + std::to_string(first.port);
  const Result second = run({"echo", "-q", "--listen", address});
  EXPECT_EQ(second.exit_code, 2) << second.err;
  EXPECT_NE(second.err.find("Address already in use"), std::string::npos) << second.err;
  const Result target = run({"watch", "-n", "1", "tcp-listen:" + address});
  EXPECT_EQ(target.exit_code, 2) << target.err;
  EXPECT_NE(target.err.find("Address already in use"), std::string::npos) << target.err;
}

// wine turns SIGINT into the console's Ctrl-C event, which takes seltool's stop path.
TEST_F(SeltoolExe, EchoDrainsAndReportsTotalsOnCtrlC) {
  Echo server({});
  ASSERT_GT(server.port, 0) << server.process.rest_of_stderr(1s);
  UniqueFd client = connect_tcp(server.port);
  const std::string payload = random_bytes(1000, 9);
  write_all(client.get(), payload);
  ASSERT_EQ(read_exact(client.get(), payload.size(), kWine), payload);
  server.process.signal(SIGINT);
  const auto closed = wait_for_event(server.process, "closed", kWine);
  ASSERT_TRUE(closed);
  EXPECT_EQ((*closed)["reason"], "shutdown");
  const auto stopped = wait_for_event(server.process, "stopped", kWine);
  ASSERT_TRUE(stopped);
  EXPECT_EQ((*stopped)["connections"], 1);
  EXPECT_EQ((*stopped)["bytes_in"], 1000);
  EXPECT_EQ((*stopped)["bytes_out"], 1000);
  EXPECT_EQ((*stopped)["drained"], true);
  EXPECT_EQ(server.process.wait_exit(kWine), 0);
}

}  // namespace
}  // namespace seltool::testing
