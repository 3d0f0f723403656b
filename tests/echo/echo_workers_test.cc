// `seltool echo --workers N` (issue 19): N threads with a selector each, the port shared by the
// kernel (SO_REUSEPORT) where the build can, else handed out by the first worker's accept loop;
// which worker served each client in the log; one summary; SIGTERM drains every worker.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <cstdlib>
#include <map>

#include "tests/support/clients.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// What the build under test spreads a TCP port with (BUILD: Linux's own build has
// SO_REUSEPORT; the portable builds hand connections out).
std::string tcp_spread() { return std::getenv("SELTOOL_SHARES_PORT") ? "kernel" : "handed_out"; }

// Reads the log up to "stopped": the workers that served each peer's "accepted" and "closed",
// and the "stopped" line.
struct Log {
  std::map<int, int> accepted_by_worker;
  std::map<int, int> closed_by_worker;
  std::vector<std::string> closed_reasons;
  std::map<int, int> cut_off_by_worker;
  Json stopped;
};

Log read_log_until_stopped(SeltoolProcess& process, std::chrono::milliseconds timeout) {
  Log log;
  const auto deadline = Clock::now() + timeout;
  while (const auto line = process.read_event(time_left(deadline))) {
    const std::string event = (*line)["event"];
    if (event == "accepted") ++log.accepted_by_worker[(*line)["worker"].get<int>()];
    if (event == "closed") {
      ++log.closed_by_worker[(*line)["worker"].get<int>()];
      log.closed_reasons.push_back((*line)["reason"]);
      if ((*line)["reason"] == "cut_off") ++log.cut_off_by_worker[(*line)["worker"].get<int>()];
    }
    if (event == "stopped") {
      log.stopped = *line;
      break;
    }
  }
  return log;
}

// The "Done when": 1,000 concurrent loopback clients, byte-exact, on both workers.
TEST(EchoWorkers, TwoWorkersServeAThousandClientsByteExactOnBothWorkers) {
  const ScopedFdLimit fd_limit;  // 1,000 clients here, 1,000 connections in the server
  if (fd_limit.limit() < 2200) GTEST_SKIP() << "RLIMIT_NOFILE " << fd_limit.limit();
  SeltoolProcess server({"echo", "--listen", "127.0.0.1:0", "--workers", "2"});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening) << server.rest_of_stderr(1s);
  EXPECT_EQ((*listening)["workers"], 2);
  EXPECT_EQ((*listening)["spread"], tcp_spread());
  const std::string address = (*listening)["address"];
  const int port = std::stoi(address.substr(address.rfind(':') + 1));

  constexpr unsigned kClients = 1000;
  std::vector<UniqueFd> clients;
  std::vector<int> fds;
  std::vector<std::string> payloads;
  for (unsigned i = 0; i < kClients; ++i) {
    clients.push_back(connect_tcp(port));
    fds.push_back(clients.back().get());
    payloads.push_back(random_bytes(4096 + i, 1000 + i));
  }
  const auto received = echo_concurrently(fds, payloads, 120s);
  std::uint64_t bytes = 0;
  for (unsigned i = 0; i < kClients; ++i) {
    EXPECT_TRUE(received[i] == payloads[i]) << "client " << i << " got " << received[i].size();
    bytes += payloads[i].size();
  }
  // Open while SIGTERM comes: every worker ends its own connections in the drain.
  server.signal(SIGTERM);
  for (UniqueFd& client : clients) {
    bool eof = false;
    read_until_eof(client.get(), 20s, &eof);
    EXPECT_TRUE(eof) << "a connection was not ended by the drain";
  }
  const Log log = read_log_until_stopped(server, 60s);
  ASSERT_FALSE(log.stopped.is_null()) << "no stopped line";
  EXPECT_EQ(log.accepted_by_worker.size(), 2u) << "clients were not spread over both workers";
  EXPECT_GT(log.accepted_by_worker.count(0) ? log.accepted_by_worker.at(0) : 0, 0);
  EXPECT_GT(log.accepted_by_worker.count(1) ? log.accepted_by_worker.at(1) : 0, 0);
  EXPECT_EQ(log.closed_by_worker, log.accepted_by_worker) << "each worker closes what it accepted";
  for (const std::string& reason : log.closed_reasons) EXPECT_EQ(reason, "shutdown");
  EXPECT_EQ(log.stopped["connections"], kClients);
  EXPECT_EQ(log.stopped["bytes_in"], bytes);
  EXPECT_EQ(log.stopped["bytes_out"], bytes);
  EXPECT_EQ(log.stopped["drained"], true);
  EXPECT_EQ(log.stopped["workers"], 2);
  EXPECT_EQ(server.wait_exit(20s), 0);
}

// A Unix socket cannot be shared by the kernel: the first worker accepts and hands the
// connections out in turn, the path every build without SO_REUSEPORT takes for TCP too.
TEST(EchoWorkers, UnixListenerHandsConnectionsOutInTurn) {
  const TempDir dir;
  const std::string path = dir.file("echo.sock");
  SeltoolProcess server({"echo", "--listen", "unix:" + path, "--workers", "3"});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening) << server.rest_of_stderr(1s);
  EXPECT_EQ((*listening)["spread"], "handed_out");
  std::vector<UniqueFd> clients;
  std::vector<int> fds;
  std::vector<std::string> payloads;
  for (unsigned i = 0; i < 9; ++i) {
    clients.push_back(connect_unix(path));
    fds.push_back(clients.back().get());
    payloads.push_back(random_bytes(256 << 10, 50 + i));
  }
  const auto received = echo_concurrently(fds, payloads);
  for (unsigned i = 0; i < fds.size(); ++i) EXPECT_TRUE(received[i] == payloads[i]) << i;
  server.signal(SIGTERM);
  const Log log = read_log_until_stopped(server, 30s);
  EXPECT_EQ(log.accepted_by_worker, (std::map<int, int>{{0, 3}, {1, 3}, {2, 3}}));
  EXPECT_EQ(log.stopped["connections"], 9);
  EXPECT_EQ(log.stopped["drained"], true);
  EXPECT_EQ(server.wait_exit(), 0);
  EXPECT_FALSE(exists(path)) << "the socket file was left behind";
}

// The drain bound holds in every worker: a client that never reads, served by the second
// worker (handed out in turn), is cut off after --drain-timeout and counted in the summary.
TEST(EchoWorkers, DrainBoundCutsOffAClientOfAnotherWorker) {
  const TempDir dir;
  const std::string path = dir.file("echo.sock");
  SeltoolProcess server({"echo", "--listen", "unix:" + path, "--workers", "2", "--buffer-limit",
                         "65536", "--drain-timeout", "1s"});
  ASSERT_TRUE(server.read_event(10s)) << server.rest_of_stderr(1s);
  UniqueFd first = connect_unix(path);  // the first worker's
  UniqueFd hog = connect_unix(path);    // the second worker's: never reads
  write_all(first.get(), "ping");
  ASSERT_EQ(read_exact(first.get(), 4), "ping");
  ASSERT_LT(send_until_blocked(hog.get()).size(), 256u << 20);
  const auto started = Clock::now();
  server.signal(SIGTERM);
  const Log log = read_log_until_stopped(server, 20s);
  ASSERT_FALSE(log.stopped.is_null()) << "no stopped line";
  EXPECT_GE(Clock::now() - started, 1s);  // the drain bound, in the second worker
  EXPECT_EQ(log.stopped["drained"], false);
  EXPECT_EQ(log.stopped["cut_off_connections"], 1);
  EXPECT_EQ(log.closed_by_worker, (std::map<int, int>{{0, 1}, {1, 1}}));
  EXPECT_EQ(log.cut_off_by_worker, (std::map<int, int>{{1, 1}}));
  EXPECT_EQ(server.wait_exit(), 0);
}

// A second signal ends every worker's drain at once.
TEST(EchoWorkers, SecondSignalAbortsEveryWorkersDrain) {
  const TempDir dir;
  const std::string path = dir.file("echo.sock");
  SeltoolProcess server({"echo", "--listen", "unix:" + path, "--workers", "2", "--buffer-limit",
                         "65536", "--drain-timeout", "60s"});
  ASSERT_TRUE(server.read_event(10s)) << server.rest_of_stderr(1s);
  UniqueFd hog0 = connect_unix(path);
  UniqueFd hog1 = connect_unix(path);
  ASSERT_LT(send_until_blocked(hog0.get()).size(), 256u << 20);
  ASSERT_LT(send_until_blocked(hog1.get()).size(), 256u << 20);
  server.signal(SIGINT);
  // The drain has begun once the socket file no longer accepts.
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          connect_unix(path);
          return false;
        } catch (const std::exception&) {
          return true;
        }
      },
      10s));
  server.signal(SIGINT);
  const Log log = read_log_until_stopped(server, 10s);
  ASSERT_FALSE(log.stopped.is_null()) << "the second signal did not stop every worker";
  EXPECT_EQ(log.stopped["cut_off_connections"], 2);
  EXPECT_EQ(log.cut_off_by_worker, (std::map<int, int>{{0, 1}, {1, 1}}));
  EXPECT_EQ(server.wait_exit(), 0);
}

// The log of every worker goes through the first worker's bounded queue: with nobody reading
// stdout, both workers go on serving, the lines past --log-buffer are dropped and counted, and
// SIGTERM still ends the run with "stopped" and exit 0.
TEST(EchoWorkers, StalledLogReaderCostsLinesNotService) {
  SeltoolProcess server(
      {"echo", "--listen", "127.0.0.1:0", "--workers", "2", "--log-buffer", "4096"});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening) << server.rest_of_stderr(1s);
  const std::string address = (*listening)["address"];
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  // Two lines of about 200 bytes per client: far more than the pipe and the queue hold.
  constexpr int kClients = 600;
  for (int i = 0; i < kClients; ++i) {
    UniqueFd client = connect_tcp(port);
    write_all(client.get(), "x");
    ASSERT_EQ(read_exact(client.get(), 1, 10s), "x") << "client " << i << " not served";
  }
  server.signal(SIGTERM);
  const Log log = read_log_until_stopped(server, 30s);
  ASSERT_FALSE(log.stopped.is_null()) << "no stopped line";
  EXPECT_EQ(log.stopped["connections"], kClients);
  EXPECT_GT(log.stopped["log_lines_dropped"], 0);
  EXPECT_EQ(server.wait_exit(), 0);
}

// One worker stays the default, and its lines carry no "worker" field.
TEST(EchoWorkers, OneWorkerIsTheDefaultAndItsLinesNameNoWorker) {
  SeltoolProcess server({"echo", "--listen", "127.0.0.1:0"});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening);
  EXPECT_FALSE(listening->contains("workers"));
  const std::string address = (*listening)["address"];
  UniqueFd client = connect_tcp(std::stoi(address.substr(address.rfind(':') + 1)));
  const auto accepted = wait_for_event(server, "accepted");
  ASSERT_TRUE(accepted);
  EXPECT_FALSE(accepted->contains("worker"));
  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 0);
}

TEST(EchoWorkers, BadCombinationsAreUsageErrors) {
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--workers", "0"},
                                               {"--workers", "-2"},
                                               {"--workers", "100000"},
                                               {"--workers", "2", "--max-connections", "10"}}) {
    std::vector<std::string> command = {"echo", "--listen", "127.0.0.1:0"};
    command.insert(command.end(), args.begin(), args.end());
    const Result result = run_seltool(command);
    EXPECT_EQ(result.exit_code, 2) << args[1] << ": " << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
  }
}

}  // namespace
}  // namespace seltool::testing
