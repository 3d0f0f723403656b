// Forms people bring from other tools (issue 16): wait-for-it's -h HOST -p PORT, socat's
// address words and URL schemes in any case, HOST:PORT/PATH without http://, and durations as
// coreutils `timeout` and the Go tools read them. Each either works as its seltool twin or is
// a usage error that names it; none is ever help and exit 0, nor a host name to resolve.
#include <string>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void expect_usage_error(const std::vector<std::string>& args, const std::string& named) {
  std::string command;
  for (const std::string& arg : args) command += " " + arg;
  SCOPED_TRACE("seltool" + command);
  const Result result = run_seltool(args);
  EXPECT_EQ(result.exit_code, 2) << result.out << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(contains(result.err, named)) << result.err;
}

// The "ready" event of a wait that succeeded, for `args` after "wait".
Json ready_event(const std::vector<std::string>& args) {
  std::vector<std::string> wait = {"wait", "-t", "10"};
  wait.insert(wait.end(), args.begin(), args.end());
  const Result result = run_seltool(wait);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  for (const Json& event : parse_lines(result.out)) {
    if (event["event"] == "ready") return event;
  }
  ADD_FAILURE() << "no ready event in " << result.out;
  return Json();
}

TEST(WaitForIt, HostAndPortOptionsWaitForHostPort) {
  UniqueFd listener = listen_tcp(0);
  const std::string port = std::to_string(local_port(listener.get()));
  EXPECT_EQ(ready_event({"-h", "127.0.0.1", "-p", port})["target"], "127.0.0.1:" + port);
  EXPECT_EQ(ready_event({"--host=127.0.0.1", "--port=" + port})["target"], "127.0.0.1:" + port);
  EXPECT_EQ(ready_event({"--host", "::1", "--port", port, "--any", "127.0.0.1:" + port})["target"],
            "127.0.0.1:" + port);
}

// The script of the issue: `seltool wait -h db -p 5432 && ./app` never starts the app early.
TEST(WaitForIt, HostAndPortNeverPrintTheHelpAndSucceed) {
  const std::string port = std::to_string(free_tcp_port());
  const Result result = run_program(
      "/bin/sh", {"-c", "\"$0\" wait -t 0.3 -h 127.0.0.1 -p " + port + " && echo app-started",
                  seltool_path()});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  EXPECT_FALSE(contains(result.out, "app-started")) << result.out;
  EXPECT_FALSE(contains(result.out, "Usage:")) << result.out;

  expect_usage_error({"wait", "-h", "127.0.0.1"}, "-p/--port");
  expect_usage_error({"wait", "-p", port}, "-h/--host");
  expect_usage_error({"wait", "-h"}, "--host");
  EXPECT_TRUE(contains(run_seltool({"wait", "--help"}).out, "Usage: seltool wait"));
}

TEST(SocatWords, ConnectWordsWorkAsTheirTwinsInAnyCase) {
  UniqueFd listener = listen_tcp(0);
  const std::string port = std::to_string(local_port(listener.get()));
  for (const std::string word : {"TCP:", "tcp:", "Tcp-Connect:", "TCP4:"}) {
    const std::string target = word + "127.0.0.1:" + port;
    EXPECT_EQ(ready_event({target})["target"], target);
  }
  const TempDir dir;
  const std::string path = dir.file("socat-words.sock");
  UniqueFd unix_listener = listen_unix(path);
  EXPECT_EQ(ready_event({"UNIX-CONNECT:" + path})["target"], "UNIX-CONNECT:" + path);
  EXPECT_EQ(ready_event({"UNIX:" + path})["target"], "UNIX:" + path);
}

// TCP6: resolves to IPv6 addresses only: 127.0.0.1 is none, so the connect is never made.
TEST(SocatWords, Tcp6IsIPv6Only) {
  UniqueFd listener = listen_tcp(0);
  const std::string port = std::to_string(local_port(listener.get()));
  const Result result = run_seltool({"wait", "-t", "0.3", "TCP6:127.0.0.1:" + port});
  EXPECT_EQ(result.exit_code, 124) << result.out << result.err;
}

TEST(SocatWords, ListenWordsListenAsTheirTwins) {
  SeltoolProcess tcp({"wait", "-t", "10", "TCP-LISTEN:0"});
  const std::optional<Json> start = tcp.read_event();
  ASSERT_TRUE(start) << "no start event";
  const std::string local = (*start)["targets"][0]["local"];
  ASSERT_EQ(local.rfind("127.0.0.1:", 0), 0u) << local;
  UniqueFd client = connect_tcp(std::stoi(local.substr(local.find(':') + 1)));
  EXPECT_TRUE(wait_for_event(tcp, "ready"));

  const TempDir dir;
  const std::string path = dir.file("socat-listen.sock");
  SeltoolProcess unix_socket({"wait", "-t", "10", "Unix-Listen:" + path});
  ASSERT_TRUE(unix_socket.read_event());
  UniqueFd unix_client = connect_unix(path);
  EXPECT_TRUE(wait_for_event(unix_socket, "ready"));
}

TEST(SocatWords, WhatSeltoolCannotDoIsAUsageErrorNamingIt) {
  // Never looked up as the host "TCP-LISTEN" (EAI_NONAME, retried until the timeout).
  for (const std::string udp : {"udp:127.0.0.1:53", "UDP:127.0.0.1:53", "UDP4-LISTEN:53",
                                "udp://127.0.0.1:53", "UDP6:[::1]:53"}) {
    expect_usage_error({"wait", udp}, "UDP");
  }
  expect_usage_error({"wait", "TCP:127.0.0.1:80,retry=3"}, "',retry=3'");
  expect_usage_error({"wait", "127.0.0.1:8080/health"}, "http://127.0.0.1:8080/health");
  expect_usage_error({"wait", "localhost:8080/"}, "http://");
}

TEST(UrlSchemes, AreReadInAnyCase) {
  const std::string url = "HTTP://127.0.0.1:" + std::to_string(free_tcp_port()) + "/health";
  const Result result = run_seltool({"wait", "-t", "0.3", url});
  EXPECT_EQ(result.exit_code, 124) << result.err;  // refused: attempted, not a usage error
  bool attempted = false;
  for (const Json& event : parse_lines(result.out)) {
    if (event["event"] != "attempt_failed") continue;
    attempted = true;
    EXPECT_EQ(event["target"], url);
    EXPECT_EQ(event["error"]["code"], "CURLE_COULDNT_CONNECT") << event;
  }
  EXPECT_TRUE(attempted) << result.out;
}

TEST(Durations, ReadAsTimeoutAndGoReadThem) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "127.0.0.1:" + std::to_string(local_port(listener.get()));
  for (const std::string duration : {"inf", "INFINITY", "1e1", "1.5E2ms", "1m30s", "1h2m3.5s",
                                     "500000us", "2000000\u00b5s", "0.5"}) {
    SCOPED_TRACE(duration);
    const Result result = run_seltool({"wait", "-q", "-t", duration, "-i", duration, target});
    EXPECT_EQ(result.exit_code, 0) << result.err;
  }
  for (const std::string bad : {"1m30", "1e", "nan", "0x10", "1s-1s"}) {
    expect_usage_error({"wait", "-t", bad, target}, "'" + bad + "' for --timeout");
  }
}

// A duration of 1e-400 underflows a double: the shortest wait, not 0 ("no limit").
TEST(Durations, AnUnderflowingExponentIsTheShortestWait) {
  const Result result =
      run_seltool({"wait", "-q", "-t", "1e-400", "127.0.0.1:" + std::to_string(free_tcp_port())});
  EXPECT_EQ(result.exit_code, 124) << result.err;
}

}  // namespace
}  // namespace seltool::testing
