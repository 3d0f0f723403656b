// `seltool load` (issue 19) against real servers: `seltool echo` (byte-exact, counts that add
// up, -n exact, grid rows, every backend), and servers written here that misbehave on purpose:
// one corrupting one byte in a million, one pausing 200 ms once, one that stops answering, and
// a port nobody listens on.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

std::vector<Json> events_named(const std::string& out, const std::string& name) {
  std::vector<Json> found;
  for (const Json& event : parse_lines(out)) {
    if (event["event"] == name) found.push_back(event);
  }
  return found;
}

bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

// `seltool echo` on a free port with `backend`; stop() ends it and returns its "stopped" line.
struct EchoServer {
  explicit EchoServer(const std::vector<std::string>& extra = {})
      : process([&] {
          std::vector<std::string> args = {"echo", "--listen", "127.0.0.1:0", "-q"};
          args.insert(args.end(), extra.begin(), extra.end());
          return args;
        }()),
        port(listening_port(process)) {}
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
  Json stop() {
    process.signal(SIGTERM);
    return wait_for_event(process, "stopped").value_or(Json());
  }
  SeltoolProcess process;
  int port;
};

// A server written for the test: accepts connections on a thread each and runs `serve` on
// them (blocking sockets). Joined at the end of the test.
class TestServer {
 public:
  explicit TestServer(std::function<void(int)> serve)
      : listener_(listen_tcp(0)), serve_(std::move(serve)) {
    port = local_port(listener_.get());
    acceptor_ = std::thread([this] {
      for (;;) {
        const int fd = ::accept(listener_.get(), nullptr, nullptr);
        if (fd < 0 || stopping_) {
          if (fd >= 0) ::close(fd);
          return;
        }
        clients_.emplace_back([this, fd] {
          serve_(fd);
          ::close(fd);
        });
      }
    });
  }
  ~TestServer() {
    stopping_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);  // wakes accept()
    acceptor_.join();
    for (std::thread& client : clients_) client.join();
  }
  std::string target() const { return "127.0.0.1:" + std::to_string(port); }
  int port = 0;

 private:
  UniqueFd listener_;
  std::function<void(int)> serve_;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::vector<std::thread> clients_;
};

// Echoes what it reads, calling `alter(offset, bytes, size)` on each piece first (offset:
// of the piece in this connection's stream); ends at the end of the stream or an error.
void echo_with(int fd, const std::function<void(std::uint64_t, char*, std::size_t)>& alter) {
  char buffer[65536];
  std::uint64_t offset = 0;
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return;
    alter(offset, buffer, std::size_t(n));
    offset += std::uint64_t(n);
    for (ssize_t sent = 0; sent < n;) {
      const ssize_t m = ::send(fd, buffer + sent, std::size_t(n - sent), MSG_NOSIGNAL);
      if (m <= 0) return;
      sent += m;
    }
  }
}

TEST(Load, GridRowsAgainstSeltoolEchoAddUp) {
  EchoServer server;
  const Result result = run_seltool(
      {"load", server.target(), "-c", "1,3", "-m", "64,1000", "-d", "300ms", "--warmup", "100ms"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.err, "");
  const std::vector<Json> rows = events_named(result.out, "summary");
  ASSERT_EQ(rows.size(), 4u) << result.out;
  const std::vector<std::pair<int, int>> grid = {{1, 64}, {1, 1000}, {3, 64}, {3, 1000}};
  std::uint64_t echoed = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Json& row = rows[i];
    EXPECT_EQ(row["connections"], grid[i].first);
    EXPECT_EQ(row["message_size"], grid[i].second);
    EXPECT_EQ(row["errors"], 0);
    EXPECT_EQ(row["mismatches"], 0);
    EXPECT_GT(row["requests"].get<std::uint64_t>(), 0u);
    EXPECT_EQ(row["seconds"], 0.3);
    EXPECT_LE(row["p50_us"].get<double>(), row["p90_us"].get<double>());
    EXPECT_LE(row["p99_us"].get<double>(), row["p99_9_us"].get<double>());
    EXPECT_LE(row["p99_9_us"].get<double>(), row["max_us"].get<double>());
    echoed += (row["requests"].get<std::uint64_t>() + row["warmup_requests"].get<std::uint64_t>()) *
              row["message_size"].get<std::uint64_t>();
  }
  // Every message the client counted is every byte the server echoed: nothing lost, nothing
  // counted twice.
  const Json stopped = server.stop();
  EXPECT_EQ(stopped["bytes_out"], echoed);
  EXPECT_EQ(stopped["connections"], 8);
}

TEST(Load, ExactRequestCountOnEveryBackendAndUnixSockets) {
  for (const std::string& backend : kBackends) {
    SCOPED_TRACE(backend);
    TempDir directory;
    const std::string path = directory.file("echo.sock");
    EchoServer server({"--listen", "unix:" + path});
    for (const std::string& target : {server.target(), "unix:" + path}) {
      const Result result =
          run_seltool({"load", target, "-n", "500", "-c", "7", "-m", "100", "-s", backend});
      ASSERT_EQ(result.exit_code, 0) << result.err;
      const std::vector<Json> rows = events_named(result.out, "summary");
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0]["requests"], 500);
      EXPECT_EQ(rows[0]["warmup_requests"], 0);  // no warm-up with -n alone
      EXPECT_EQ(rows[0]["selector"], backend);
    }
    EXPECT_EQ(server.stop()["bytes_out"], 2 * 500 * 100);
  }
}

TEST(Load, StreamRateAndThreadsStayByteExact) {
  EchoServer server;
  for (const std::vector<std::string>& mode :
       {std::vector<std::string>{"--stream", "--window", "5000"},
        std::vector<std::string>{"--rate", "2000"}, std::vector<std::string>{"--threads", "2"}}) {
    std::vector<std::string> args = {"load", server.target(), "-n", "1000", "-c", "4",
                                     "-m",   "1000"};
    args.insert(args.end(), mode.begin(), mode.end());
    const Result result = run_seltool(args);
    ASSERT_EQ(result.exit_code, 0) << mode[0] << ": " << result.err;
    const std::vector<Json> rows = events_named(result.out, "summary");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["requests"], 1000) << mode[0];
    EXPECT_EQ(rows[0]["mismatches"], 0) << mode[0];
  }
  EXPECT_EQ(server.stop()["bytes_out"], 3 * 1000 * 1000);
}

TEST(Load, TextFormatIsOneAlignedTable) {
  EchoServer server;
  const Result result =
      run_seltool({"load", server.target(), "-c", "1,2", "-n", "50", "--format", "text"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_TRUE(terminal_safe(result.out));
  std::vector<std::string> lines;
  for (std::size_t at = 0; at < result.out.size();) {
    const std::size_t end = result.out.find('\n', at);
    lines.push_back(result.out.substr(at, end - at));
    at = end + 1;
  }
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_NE(lines[0].find("p99.9"), std::string::npos);
  EXPECT_EQ(lines[1].size(), lines[0].size());
  EXPECT_EQ(lines[2].size(), lines[0].size());
}

TEST(Load, ByteCheckCatchesOneCorruptByteInAMillion) {
  TestServer faulty([](int fd) {
    echo_with(fd, [](std::uint64_t offset, char* bytes, std::size_t size) {
      constexpr std::uint64_t kVictim = 1'000'000;
      if (offset <= kVictim && kVictim < offset + size) bytes[kVictim - offset] ^= 0x20;
    });
  });
  const Result result = run_seltool({"load", faulty.target(), "-n", "2000", "-m", "1024"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("mismatch"), std::string::npos) << result.err;
  const std::vector<Json> rows = events_named(result.out, "summary");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["mismatches"], 1);
  EXPECT_EQ(rows[0]["requests"], 1999);
  EXPECT_EQ(rows[0]["errors"], 0);
}

// At 500 messages/s a 200 ms stall delays about 100 scheduled messages by up to 200 ms. Open
// loop counts that from their scheduled times: the slowest 1% (9 of 900) all waited 180 ms or
// more. A closed loop would count only the one message the server held (coordinated omission).
TEST(Load, OpenLoopShowsAServerStallInTheTail) {
  std::atomic<bool> paused{false};
  TestServer stalling([&](int fd) {
    echo_with(fd, [&](std::uint64_t offset, char*, std::size_t) {
      if (offset >= 64 * 300 && !paused.exchange(true)) std::this_thread::sleep_for(200ms);
    });
  });
  const Result result =
      run_seltool({"load", stalling.target(), "--rate", "500", "-m", "64", "-n", "900"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> rows = events_named(result.out, "summary");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(paused);
  EXPECT_EQ(rows[0]["pattern"], "rate");
  EXPECT_GE(rows[0]["p99_9_us"].get<double>(), 200'000) << rows[0];
  EXPECT_GE(rows[0]["p99_us"].get<double>(), 150'000) << rows[0];
}

TEST(Load, RefusedConnectionIsOneLineAndExitOne) {
  const int port = free_tcp_port();  // nobody listens there now
  const Result result =
      run_seltool({"load", "127.0.0.1:" + std::to_string(port), "-c", "3", "-n", "10"}, {}, 10s);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("ECONNREFUSED"), std::string::npos) << result.err;
  const std::vector<Json> rows = events_named(result.out, "summary");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["errors"], 3);
  EXPECT_EQ(rows[0]["requests"], 0);
}

TEST(Load, ServerThatStopsAnsweringEndsWithinDurationAndDrain) {
  std::atomic<bool> done{false};
  TestServer silent([&](int fd) {  // reads, never echoes, until the client goes
    char buffer[4096];
    while (!done && ::recv(fd, buffer, sizeof buffer, 0) > 0) {
    }
  });
  const Result result = run_seltool(
      {"load", silent.target(), "-c", "2", "-d", "1s", "--warmup", "0", "--timeout", "1s"}, {},
      20s);
  done = true;
  EXPECT_EQ(result.exit_code, 1);
  // -d 1s, then at most --timeout 1s for what is in flight (plus start-up on a busy machine).
  EXPECT_LT(result.seconds, 1 + 1 + 5.0);
  EXPECT_TRUE(one_line(result.err)) << result.err;
  EXPECT_NE(result.err.find("stopped answering"), std::string::npos) << result.err;
  const std::vector<Json> rows = events_named(result.out, "summary");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["errors"], 2);
}

TEST(Load, BadOptionsAreOneLineAndExitTwo) {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"load", "127.0.0.1:1", "-c", "0"},
                                             {"load", "127.0.0.1:1", "-m", "64,x"},
                                             {"load", "127.0.0.1:1", "--window", "100"},
                                             {"load", "127.0.0.1:1", "--rate", "-5"},
                                             {"load", "127.0.0.1:1", "--format", "xml"},
                                             {"load", "127.0.0.1:1", "-d", "soon"},
                                             {"load", "no-port"},
                                             {"load"}}) {
    const Result result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 2) << args.back();
    EXPECT_TRUE(one_line(result.err)) << args.back() << ": " << result.err;
    EXPECT_EQ(result.out, "");
  }
}

TEST(Load, ServerCpuPerRequest) {
  if (!getenv("SELTOOL_READS_PROC")) {
    const Result result = run_seltool({"load", "127.0.0.1:1", "--server-pid", "1"});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.err.find("not supported on this OS"), std::string::npos) << result.err;
    return;
  }
  EchoServer server;
  const Result result = run_seltool({"load", server.target(), "-n", "2000", "--server-pid",
                                     std::to_string(server.process.pid())});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> rows = events_named(result.out, "summary");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].contains("server_cpu_us_per_request")) << rows[0];
  const Result gone = run_seltool({"load", server.target(), "--server-pid", "999999999"});
  EXPECT_EQ(gone.exit_code, 2);
}

}  // namespace
}  // namespace seltool::testing
