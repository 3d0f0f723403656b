// `seltool echo --udp` (issue 19): RFC 862 over UDP, and over a Unix datagram socket for
// unix:PATH; real sockets, every backend of the build.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <system_error>

#include "tests/support/clients.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

constexpr std::size_t kLargestIpv4Datagram = 65507;  // 65,535 - 20 (IP) - 8 (UDP)
// IPv6's payload length counts the UDP header but not the 40-byte IPv6 header: 65,535 - 8.
constexpr std::size_t kLargestIpv6Datagram = 65527;

[[noreturn]] void fail(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// A UDP socket on 127.0.0.1, any port.
UniqueFd udp_client() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) fail("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) fail("bind");
  return fd;
}

void send_to_port(int fd, int port, const std::string& datagram) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(std::uint16_t(port));
  const ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), 0,
                             reinterpret_cast<sockaddr*>(&to), sizeof to);
  if (n != ssize_t(datagram.size())) fail("sendto");
}

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// A Unix datagram socket, bound to `path` unless it is empty (an unnamed sender).
UniqueFd unix_datagram_client(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) fail("socket");
  const sockaddr_un address = unix_address(path);
  if (!path.empty() &&
      ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) == -1) {
    fail("bind");
  }
  return fd;
}

void send_to_path(int fd, const std::string& path, const std::string& datagram) {
  const sockaddr_un to = unix_address(path);
  const ssize_t n = ::sendto(fd, datagram.data(), datagram.size(), 0,
                             reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (n != ssize_t(datagram.size())) fail("sendto");
}

// The next datagram on `fd` (whole: the buffer is larger than any), or nullopt after `timeout`.
std::optional<std::string> receive(int fd, std::chrono::milliseconds timeout = 5s) {
  if (!readable_within(fd, timeout)) return std::nullopt;
  std::string buffer(1 << 17, '\0');
  const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (n < 0) return std::nullopt;
  buffer.resize(std::size_t(n));
  return buffer;
}

// The lines up to "stopped": every "closed" line by peer, and "stopped".
struct Log {
  std::map<std::string, Json> closed;
  std::vector<Json> accepted;
  Json stopped;
};

Log read_log_until_stopped(SeltoolProcess& process, std::chrono::milliseconds timeout = 20s) {
  Log log;
  const auto deadline = Clock::now() + timeout;
  while (const auto line = process.read_event(time_left(deadline))) {
    const std::string event = (*line)["event"];
    if (event == "accepted") log.accepted.push_back(*line);
    if (event == "closed") log.closed[(*line)["peer"]] = *line;
    if (event == "stopped") {
      log.stopped = *line;
      break;
    }
  }
  return log;
}

class EchoUdp : public ::testing::TestWithParam<std::string> {
 protected:
  // `seltool echo --udp` on 127.0.0.1, port 0, with the backend under test; sets port_.
  std::unique_ptr<SeltoolProcess> start(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"echo", "--udp", "--listen", "127.0.0.1:0", "-s", GetParam()});
    auto server = std::make_unique<SeltoolProcess>(args);
    const auto listening = server->read_event(10s);
    EXPECT_TRUE(listening) << server->rest_of_stderr(1s);
    if (!listening) return server;
    EXPECT_EQ((*listening)["udp"], true);
    const std::string address = (*listening)["address"];
    port_ = std::stoi(address.substr(address.rfind(':') + 1));
    return server;
  }
  int port_ = -1;
};

TEST_P(EchoUdp, DatagramsOfEverySizeComeBackWholeAndByteExact) {
  auto server = start();
  UniqueFd client = udp_client();
  std::uint64_t bytes = 0;
  for (const std::size_t size : {std::size_t(1), std::size_t(1472), kLargestIpv4Datagram}) {
    const std::string datagram = random_bytes(size, unsigned(size));
    send_to_port(client.get(), port_, datagram);
    const auto echo = receive(client.get());
    ASSERT_TRUE(echo) << "no echo of " << size << " bytes";
    ASSERT_EQ(echo->size(), size);
    EXPECT_TRUE(*echo == datagram) << size << " bytes differ";
    bytes += size;
  }
  server->signal(SIGTERM);
  const Log log = read_log_until_stopped(*server);
  ASSERT_EQ(log.closed.size(), 1u);
  const Json& closed = log.closed.begin()->second;
  EXPECT_EQ(closed["reason"], "shutdown");
  EXPECT_EQ(closed["datagrams_in"], 3);
  EXPECT_EQ(closed["datagrams_out"], 3);
  EXPECT_EQ(closed["bytes_in"], bytes);
  EXPECT_EQ(closed["bytes_out"], bytes);
  EXPECT_EQ(log.stopped["connections"], 1);
  EXPECT_EQ(log.stopped["datagrams_in"], 3);
  EXPECT_EQ(log.stopped["datagrams_out"], 3);
  EXPECT_EQ(log.stopped["datagrams_dropped"], 0);
  EXPECT_EQ(log.stopped["bytes_out"], bytes);
  EXPECT_EQ(server->wait_exit(), 0);
}

// The same over IPv6 loopback, where a datagram can be 20 bytes longer than over IPv4.
TEST_P(EchoUdp, LargestIpv6DatagramComesBackWholeOverLoopback) {
  UniqueFd client(::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  if (!client ||
      ::bind(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == -1) {
    GTEST_SKIP() << "no IPv6 loopback here: " << std::strerror(errno);
  }
  SeltoolProcess server({"echo", "--udp", "--listen", "[::1]:0", "-s", GetParam()});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening) << server.rest_of_stderr(1s);
  const std::string where = (*listening)["address"];
  address.sin6_port = htons(std::uint16_t(std::stoi(where.substr(where.rfind(':') + 1))));
  for (const std::size_t size : {std::size_t(1), kLargestIpv4Datagram, kLargestIpv6Datagram}) {
    const std::string datagram = random_bytes(size, unsigned(size) + 7);
    ASSERT_EQ(::sendto(client.get(), datagram.data(), size, 0,
                       reinterpret_cast<sockaddr*>(&address), sizeof address),
              ssize_t(size))
        << std::strerror(errno);
    const auto echo = receive(client.get());
    ASSERT_TRUE(echo) << "no echo of " << size << " bytes";
    ASSERT_EQ(echo->size(), size);
    EXPECT_TRUE(*echo == datagram) << size << " bytes differ";
  }
  server.signal(SIGTERM);
  const Log log = read_log_until_stopped(server);
  EXPECT_EQ(log.stopped["datagrams_out"], 3);
  EXPECT_EQ(server.wait_exit(), 0);
}

// Each peer address is a client of its own: its datagrams come back to it alone, and the log
// has one accepted and one closed line for it with its own counts.
TEST_P(EchoUdp, ManyPeersEachGetTheirOwnDatagrams) {
  auto server = start();
  constexpr int kPeers = 50, kEach = 4;
  std::vector<UniqueFd> peers;
  for (int i = 0; i < kPeers; ++i) peers.push_back(udp_client());
  for (int round = 0; round < kEach; ++round) {
    for (int i = 0; i < kPeers; ++i) {
      send_to_port(peers[i].get(), port_, random_bytes(100 + i, unsigned(i * 10 + round)));
    }
    for (int i = 0; i < kPeers; ++i) {
      const auto echo = receive(peers[i].get());
      ASSERT_TRUE(echo) << "peer " << i << " round " << round;
      EXPECT_TRUE(*echo == random_bytes(100 + i, unsigned(i * 10 + round))) << "peer " << i;
    }
  }
  server->signal(SIGTERM);
  const Log log = read_log_until_stopped(*server);
  EXPECT_EQ(log.accepted.size(), std::size_t(kPeers));
  ASSERT_EQ(log.closed.size(), std::size_t(kPeers));
  for (const auto& [peer, closed] : log.closed) {
    EXPECT_EQ(closed["datagrams_in"], kEach) << peer;
    EXPECT_EQ(closed["datagrams_out"], kEach) << peer;
  }
  EXPECT_EQ(log.stopped["connections"], kPeers);
  EXPECT_EQ(log.stopped["datagrams_out"], kPeers * kEach);
  EXPECT_EQ(server->wait_exit(), 0);
}

// UDP has no end: a client ends when it has been quiet for --idle-timeout; a later datagram
// from the same address is a new client.
TEST_P(EchoUdp, QuietClientEndsAfterTheIdleTimeout) {
  auto server = start({"--idle-timeout", "300ms"});
  UniqueFd client = udp_client();
  const auto sent = Clock::now();
  send_to_port(client.get(), port_, "one");
  ASSERT_EQ(receive(client.get()), "one");
  const auto closed = wait_for_event(*server, "closed");
  ASSERT_TRUE(closed);
  EXPECT_GE(Clock::now() - sent, 300ms);
  EXPECT_EQ((*closed)["reason"], "idle");
  EXPECT_EQ((*closed)["datagrams_in"], 1);
  send_to_port(client.get(), port_, "two");
  ASSERT_EQ(receive(client.get()), "two");
  server->signal(SIGTERM);
  const Log log = read_log_until_stopped(*server);
  EXPECT_EQ(log.stopped["connections"], 2);
  EXPECT_EQ(server->wait_exit(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, EchoUdp, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

// unix:PATH with --udp: a Unix datagram socket. A sender that never reads fills its receive
// queue: the echoes the socket cannot take now are dropped and counted, never queued, and the
// server neither spins nor stops serving others meanwhile.
TEST(EchoUdpUnix, EchoesToBoundSendersAndDropsWhatAFullPeerCannotTake) {
  const TempDir dir;
  const std::string path = dir.file("echo.sock");
  SeltoolProcess server({"echo", "--udp", "--listen", "unix:" + path});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening) << server.rest_of_stderr(1s);
  EXPECT_EQ((*listening)["address"], "unix:" + path);

  UniqueFd client = unix_datagram_client(dir.file("client.sock"));
  const std::string datagram = random_bytes(kLargestIpv4Datagram, 3);
  send_to_path(client.get(), path, datagram);
  EXPECT_EQ(receive(client.get()), datagram);

  // Never reads: its queue (a few datagrams) fills and the server's sends would block.
  UniqueFd hog = unix_datagram_client(dir.file("hog.sock"));
  constexpr int kFlood = 200;
  for (int i = 0; i < kFlood; ++i) send_to_path(hog.get(), path, "flood");
  // The server took all 200 (the sends above block while its queue is full).
  send_to_path(client.get(), path, "still served");
  EXPECT_EQ(receive(client.get()), "still served");
  const double cpu_before = server.cpu_seconds();
  // A measurement window: with every echo to the hog dropped, the server has nothing to do.
  std::this_thread::sleep_for(1s);
  EXPECT_LT(server.cpu_seconds() - cpu_before, 0.3) << "the server spins on a full peer";

  // An unbound sender has no address to answer: counted, dropped.
  UniqueFd unnamed = unix_datagram_client("");
  send_to_path(unnamed.get(), path, "who am I");
  send_to_path(client.get(), path, "after");
  EXPECT_EQ(receive(client.get()), "after");

  server.signal(SIGTERM);
  const Log log = read_log_until_stopped(server);
  const Json& hog_line = log.closed.at("unix:" + dir.file("hog.sock"));
  EXPECT_EQ(hog_line["datagrams_in"], kFlood);
  EXPECT_GT(hog_line["dropped"], 0);
  EXPECT_EQ(hog_line["datagrams_out"].get<int>() + hog_line["dropped"].get<int>(), kFlood);
  EXPECT_EQ(log.closed.at("unix:unnamed")["dropped"], 1);
  EXPECT_EQ(log.stopped["datagrams_in"], 3 + kFlood + 1);
  EXPECT_EQ(log.stopped["datagrams_dropped"], hog_line["dropped"].get<int>() + 1);
  EXPECT_EQ(server.wait_exit(), 0);
  EXPECT_FALSE(exists(path)) << "the socket file was left behind";
}

// --udp --workers 2: where the kernel shares a UDP port (SO_REUSEPORT), senders are spread over
// both workers; elsewhere the one socket is the first worker's.
TEST(EchoUdpWorkers, PeersAreServedByTheWorkersTheBuildCanSpreadThemTo) {
  const bool shares = std::getenv("SELTOOL_SHARES_PORT") != nullptr;
  SeltoolProcess server({"echo", "--udp", "--listen", "127.0.0.1:0", "--workers", "2"});
  const auto listening = server.read_event(10s);
  ASSERT_TRUE(listening) << server.rest_of_stderr(1s);
  EXPECT_EQ((*listening)["spread"], shares ? "kernel" : "none");
  const std::string address = (*listening)["address"];
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  std::vector<UniqueFd> peers;
  for (int i = 0; i < 64; ++i) {
    peers.push_back(udp_client());
    send_to_port(peers.back().get(), port, "peer " + std::to_string(i));
    EXPECT_EQ(receive(peers.back().get()), "peer " + std::to_string(i));
  }
  server.signal(SIGTERM);
  const Log log = read_log_until_stopped(server);
  std::map<int, int> by_worker;
  for (const Json& accepted : log.accepted) ++by_worker[accepted["worker"].get<int>()];
  if (shares) {
    EXPECT_EQ(by_worker.size(), 2u) << "64 senders all went to one worker";
  } else {
    EXPECT_EQ(by_worker, (std::map<int, int>{{0, 64}}));
  }
  EXPECT_EQ(log.stopped["connections"], 64);
  EXPECT_EQ(server.wait_exit(), 0);
}

TEST(EchoUdpCommand, StreamOnlyOptionsAreUsageErrors) {
  for (const std::string option : {"--max-connections", "--buffer-limit"}) {
    const Result result = run_seltool({"echo", "--udp", "--listen", "127.0.0.1:0", option, "10"});
    EXPECT_EQ(result.exit_code, 2) << option << ": " << result.err;
    EXPECT_NE(result.err.find(option), std::string::npos) << result.err;
    EXPECT_EQ(result.out, "");
  }
}

}  // namespace
}  // namespace seltool::testing
