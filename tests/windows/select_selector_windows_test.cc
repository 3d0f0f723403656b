// The Windows backends (afd, select) with real Winsock sockets (run under wine by
// --config=mingw).
// winsock2.h before windows.h, as Winsock requires.
// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lib/selectors.h"
#include "tests/support/clock.h"

namespace seltool {
namespace {

using testing::Clock;
using testing::seconds_since;

// The tests make sockets before any selector exists, so they start Winsock themselves.
class WinsockEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    WSADATA data;
    ASSERT_EQ(::WSAStartup(MAKEWORD(2, 2), &data), 0);
  }
  void TearDown() override { ::WSACleanup(); }
};
const auto* const kWinsock = ::testing::AddGlobalTestEnvironment(new WinsockEnvironment);

// An owned socket that is a file object (fileno()).
class Socket {
 public:
  explicit Socket(SOCKET s = INVALID_SOCKET) : s_(s) {}
  Socket(Socket&& other) noexcept : s_(std::exchange(other.s_, INVALID_SOCKET)) {}
  Socket& operator=(Socket&& other) noexcept {
    close();
    s_ = std::exchange(other.s_, INVALID_SOCKET);
    return *this;
  }
  ~Socket() { close(); }
  int fileno() const { return s_ == INVALID_SOCKET ? -1 : int(s_); }
  SOCKET get() const { return s_; }
  void close() {
    if (s_ != INVALID_SOCKET) ::closesocket(std::exchange(s_, INVALID_SOCKET));
  }

 private:
  SOCKET s_;
};

Socket tcp_socket() {
  Socket s(::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
  EXPECT_NE(s.get(), INVALID_SOCKET) << ::WSAGetLastError();
  return s;
}

sockaddr_in loopback(u_short port = 0) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// A listening socket on 127.0.0.1 and its address.
Socket listener(sockaddr_in& address) {
  Socket s = tcp_socket();
  address = loopback();
  int length = sizeof address;
  EXPECT_EQ(::bind(s.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  EXPECT_EQ(::listen(s.get(), 4), 0);
  EXPECT_EQ(::getsockname(s.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  return s;
}

// Two connected loopback TCP sockets (Windows has no socketpair()).
std::pair<Socket, Socket> connected_pair() {
  sockaddr_in address;
  Socket server = listener(address);
  Socket client = tcp_socket();
  EXPECT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  Socket accepted(::accept(server.get(), nullptr, nullptr));
  EXPECT_NE(accepted.get(), INVALID_SOCKET);
  return {std::move(client), std::move(accepted)};
}

// The cases below run for every backend compiled for Windows (afd, select) and the default.
class WindowsBackends : public ::testing::TestWithParam<std::string> {};

std::vector<std::string> backend_params() {
  std::vector<std::string> params = compiled_backend_names();
  params.push_back("default");
  return params;
}

std::unique_ptr<Selector> make_selector_for(const std::string& param) {
  return param == "default" ? make_default_selector() : make_selector(param);
}

INSTANTIATE_TEST_SUITE_P(Backends, WindowsBackends, ::testing::ValuesIn(backend_params()),
                         [](const auto& info) { return info.param; });

TEST(WindowsSelectors, AfdIsTheDefaultAndSelectTheFallback) {
  EXPECT_EQ(compiled_backend_names(), (std::vector<std::string>{"afd", "select"}));
  EXPECT_EQ(default_selector_name(), "afd");
  auto selector = make_default_selector();
  EXPECT_EQ(selector->name(), "afd");
  EXPECT_FALSE(selector->fileno().has_value());
  for (const BackendInfo& info : backends()) {
    const bool built = info.name == "afd" || info.name == "select";
    EXPECT_EQ(info.compiled, built) << info.name;
    EXPECT_EQ(info.usable, built) << info.name << ": " << info.reason;
  }
  EXPECT_THROW(make_selector("epoll"), std::invalid_argument);
}

TEST(WindowsSelect, TraitsOfSelect) {
  auto selector = make_selector("select");
  EXPECT_EQ(selector->name(), "select");
  EXPECT_FALSE(selector->fileno().has_value());
  EXPECT_FALSE(selector->traits().has_kernel_object);
  EXPECT_TRUE(selector->traits().refuses_closed_descriptors);  // only open sockets
  EXPECT_FALSE(selector->traits().watches_regular_files);
  EXPECT_FALSE(selector->traits().limited_to_fd_setsize);  // a count of sockets here
}

TEST_P(WindowsBackends, SocketBecomesReadableAfterPeerSends) {
  auto [a, b] = connected_pair();
  auto selector = make_selector_for(GetParam());
  selector->register_file(b, EVENT_READ);
  EXPECT_TRUE(selector->select(0).empty());
  ASSERT_EQ(::send(a.get(), "hello", 5, 0), 5);
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  auto [key, events] = *ready.begin();
  EXPECT_EQ(key.fd, b.fileno());
  EXPECT_EQ(events, EVENT_READ);
}

TEST_P(WindowsBackends, ConnectedSocketIsWritableAndReportedOnceWithBothBits) {
  auto [a, b] = connected_pair();
  auto selector = make_selector_for(GetParam());
  selector->register_file(a, EVENT_WRITE);
  auto writable = selector->select(10);
  ASSERT_EQ(writable.size(), 1u);
  EXPECT_EQ((*writable.begin()).events, EVENT_WRITE);

  ASSERT_EQ(::send(b.get(), "x", 1, 0), 1);
  selector->modify(a, EVENT_READ | EVENT_WRITE);
  const auto start = Clock::now();
  for (;;) {  // the byte may take a moment to arrive; bounded by time
    auto ready = selector->select(10);
    ASSERT_EQ(ready.size(), 1u);
    if ((*ready.begin()).events == (EVENT_READ | EVENT_WRITE)) break;
    ASSERT_LT(seconds_since(start), 10.0) << "never readable";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST_P(WindowsBackends, FailedConnectIsSeenAsWritableWithError) {
  // A port that nothing listens on: bound, never listening, so connect() is refused.
  Socket placeholder = tcp_socket();
  sockaddr_in address = loopback();
  int length = sizeof address;
  ASSERT_EQ(::bind(placeholder.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::getsockname(placeholder.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);

  Socket client = tcp_socket();
  u_long non_blocking = 1;
  ASSERT_EQ(::ioctlsocket(client.get(), FIONBIO, &non_blocking), 0);
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address),
            SOCKET_ERROR);
  ASSERT_EQ(::WSAGetLastError(), WSAEWOULDBLOCK);

  auto selector = make_selector_for(GetParam());
  selector->register_file(client, EVENT_WRITE);
  // Windows retries a refused connect for about a second; allow plenty.
  auto ready = selector->select(20);
  ASSERT_EQ(ready.size(), 1u) << "a failed connect must wake a writer (exceptfds)";
  const Ready entry = *ready.begin();
  EXPECT_EQ(entry.events, EVENT_WRITE);
  EXPECT_TRUE(entry.conditions & CONDITION_ERROR);
  int error = 0;
  length = sizeof error;
  ASSERT_EQ(
      ::getsockopt(client.get(), SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&error), &length),
      0);
  EXPECT_EQ(error, WSAECONNREFUSED);
}

TEST_P(WindowsBackends, PeerCloseMakesSocketReadable) {
  auto [a, b] = connected_pair();
  auto selector = make_selector_for(GetParam());
  selector->register_file(b, EVENT_READ);
  a.close();
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  char byte;
  EXPECT_EQ(::recv(b.get(), &byte, 1, 0), 0) << "end of stream";
}

TEST_P(WindowsBackends, EmptySelectorHonoursTimeout) {
  auto selector = make_selector_for(GetParam());
  const auto start = Clock::now();
  EXPECT_TRUE(selector->select(0.2).empty());
  const double waited = seconds_since(start);
  EXPECT_GE(waited, 0.2);
  EXPECT_LT(waited, 10.0);
}

TEST_P(WindowsBackends, WakeupFromAnotherThreadEndsBlockingSelect) {
  auto selector = make_selector_for(GetParam());
  auto [a, b] = connected_pair();
  selector->register_file(b, EVENT_READ);
  std::thread waker([&] {
    // A delay, not a wait for a state: most likely select() blocks by then (if not, the
    // wakeup is pending and ends it all the same).
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    selector->wakeup();
  });
  const auto start = Clock::now();
  auto ready = selector->select(30);
  waker.join();
  EXPECT_TRUE(ready.empty());
  EXPECT_LT(seconds_since(start), 10.0);
  // Drained: the next select does not return at once.
  EXPECT_TRUE(selector->select(0).empty());
}

TEST_P(WindowsBackends, NonSocketHandleIsRefusedWithWSAENOTSOCK) {
  HANDLE read_end = nullptr;
  HANDLE write_end = nullptr;
  ASSERT_TRUE(::CreatePipe(&read_end, &write_end, nullptr, 0));
  auto selector = make_selector_for(GetParam());
  const int fd = int(reinterpret_cast<std::intptr_t>(read_end));
  try {
    selector->register_file(fd, EVENT_READ);
    ADD_FAILURE() << "a pipe handle was accepted";
  } catch (const std::system_error& error) {
    EXPECT_EQ(error.code().value(), WSAENOTSOCK) << error.what();
    EXPECT_EQ(error.code().category(), std::system_category());
  }
  EXPECT_TRUE(selector->get_map().empty()) << "nothing registered";
  ::CloseHandle(read_end);
  ::CloseHandle(write_end);
}

TEST_P(WindowsBackends, ReadinessIsReportedAgainUntilDrained) {
  auto [a, b] = connected_pair();
  auto selector = make_selector_for(GetParam());
  selector->register_file(b, EVENT_READ);
  ASSERT_EQ(::send(a.get(), "hello", 5, 0), 5);
  ASSERT_EQ(selector->select(10).size(), 1u);
  // Level-triggered: not read, so ready again, in a blocking select() and in select(0).
  ASSERT_EQ(selector->select(10).size(), 1u);
  ASSERT_EQ(selector->select(0).size(), 1u);
  char buffer[16];
  ASSERT_EQ(::recv(b.get(), buffer, sizeof buffer, 0), 5);
  EXPECT_TRUE(selector->select(0).empty());
  EXPECT_TRUE(selector->select(0.05).empty());
}

// A modify while the backend waits in the kernel for the old events (afd: a pending
// IOCTL_AFD_POLL for reading only) must take effect: the socket is writable, never readable.
TEST_P(WindowsBackends, ModifyReplacesTheEventsTheKernelWaitsFor) {
  auto [a, b] = connected_pair();
  auto selector = make_selector_for(GetParam());
  selector->register_file(b, EVENT_READ);
  EXPECT_TRUE(selector->select(0).empty());
  EXPECT_TRUE(selector->select(0.05).empty());
  selector->modify(b, EVENT_WRITE);
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_WRITE);
  // And back: readable once a byte comes, not writable any more.
  selector->modify(b, EVENT_READ);
  EXPECT_TRUE(selector->select(0.05).empty());
  ASSERT_EQ(::send(a.get(), "x", 1, 0), 1);
  ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ((*ready.begin()).events, EVENT_READ);
}

TEST_P(WindowsBackends, UnregisterWhileTheKernelWaitsThenReuse) {
  auto selector = make_selector_for(GetParam());
  std::vector<std::pair<Socket, Socket>> pairs;
  for (int i = 0; i < 40; ++i) pairs.push_back(connected_pair());
  for (auto& pair : pairs) selector->register_file(pair.second, EVENT_READ);
  EXPECT_TRUE(selector->select(0).empty());  // every poll is in the kernel now
  for (int i = 0; i < 40; i += 2) {
    selector->unregister(pairs[i].second);
    pairs[i].second.close();
  }
  for (auto& pair : pairs) ASSERT_EQ(::send(pair.first.get(), "x", 1, 0), 1);
  const auto start = Clock::now();
  std::size_t seen = 0;
  while (seen < 20 && seconds_since(start) < 10) seen = selector->select(0.1).size();
  EXPECT_EQ(seen, 20u) << "exactly the sockets still registered";
  selector->close();  // with polls in the kernel: they are cancelled and waited for
}

// Past select()'s 512: 1,000 sockets on one selector (32 per AFD poll group), each reported.
TEST(WindowsAfd, AThousandSocketsAreWatched) {
  constexpr int kCount = 1000;
  sockaddr_in address;
  Socket server = tcp_socket();
  address = loopback();
  int length = sizeof address;
  ASSERT_EQ(::bind(server.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(server.get(), SOMAXCONN), 0);
  ASSERT_EQ(::getsockname(server.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::vector<Socket> clients;
  std::vector<Socket> accepted;
  for (int i = 0; i < kCount; ++i) {
    clients.push_back(tcp_socket());
    ASSERT_EQ(
        ::connect(clients.back().get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
        << i << ": " << ::WSAGetLastError();
    accepted.emplace_back(::accept(server.get(), nullptr, nullptr));
    ASSERT_NE(accepted.back().get(), INVALID_SOCKET);
  }
  auto selector = make_selector("afd");
  for (const Socket& s : accepted) selector->register_file(s, EVENT_READ);
  EXPECT_TRUE(selector->select(0).empty());
  for (int i = 0; i < kCount; i += 2) ASSERT_EQ(::send(clients[i].get(), "x", 1, 0), 1);
  std::vector<int> expected;
  for (int i = 0; i < kCount; i += 2) expected.push_back(accepted[i].fileno());
  std::sort(expected.begin(), expected.end());
  std::vector<int> fds;
  const auto start = Clock::now();
  while (fds.size() < expected.size() && seconds_since(start) < 20) {
    fds.clear();
    for (const auto& [key, events] : selector->select(0.1)) {
      EXPECT_EQ(events, EVENT_READ);
      fds.push_back(key.fd);
    }
  }
  std::sort(fds.begin(), fds.end());
  EXPECT_EQ(fds, expected);
  // All of them again in one select(0): level-triggered.
  EXPECT_EQ(selector->select(0).size(), expected.size());
}

// A SOCKET is 64 bits; the library's descriptors are ints (lib/selectors.h, descriptor_from):
// a SOCKET passed as it is arrives whole, and a value that would not fit is refused, not cut.
TEST(WindowsHandles, SocketsAreCarriedWholeAndWiderValuesRefused) {
  Socket s = tcp_socket();
  const SOCKET handle = s.get();
  auto selector = make_default_selector();
  const SelectorKey& key = selector->register_file(handle, EVENT_READ);
  EXPECT_EQ(SOCKET(key.fd), handle);
  EXPECT_EQ(SOCKET(selector->get_key(handle).fd), handle);
  selector->unregister(handle);

  EXPECT_EQ(FileObject(INVALID_SOCKET).fileno(), -1);
  EXPECT_THROW(FileObject(SOCKET(0x100000004ULL)), std::out_of_range);  // int() would say 4
  EXPECT_THROW(FileObject(SOCKET(0x80000000ULL)), std::out_of_range);
  struct NativeSocket {  // as asio's sockets on Windows
    SOCKET value;
    SOCKET native_handle() const { return value; }
  };
  NativeSocket wide{SOCKET(0x100000004ULL)};
  EXPECT_THROW(FileObject(wide).fileno(), std::out_of_range);
  NativeSocket closed{INVALID_SOCKET};
  EXPECT_EQ(FileObject(closed).fileno(), -1);
}

TEST(WindowsSelect, FdSetsizeIsRaisedTo512AndEnforcedAsACount) {
  ASSERT_EQ(select_fd_setsize(), 512);
  auto selector = make_selector("select");
  std::vector<Socket> sockets;
  // The wakeup channel takes one place in the read set.
  for (int i = 0; i < 512; ++i) sockets.push_back(tcp_socket());
  for (int i = 0; i < 511; ++i) selector->register_file(sockets[i], EVENT_READ);
  EXPECT_THROW(selector->register_file(sockets[511], EVENT_READ), std::invalid_argument);
  EXPECT_FALSE(selector->get_map().contains(sockets[511]));
  EXPECT_EQ(selector->get_map().size(), 511u);
  // The write set has its own 512 places.
  selector->register_file(sockets[511], EVENT_WRITE);
  EXPECT_THROW(selector->modify(sockets[511], EVENT_READ | EVENT_WRITE), std::invalid_argument);
  EXPECT_EQ(selector->get_key(sockets[511]).events, EVENT_WRITE);
  // A full selector still works: unconnected sockets are not ready.
  EXPECT_TRUE(selector->select(0).empty());
  selector->unregister(sockets[0]);
  selector->modify(sockets[511], EVENT_READ | EVENT_WRITE);
}

TEST_P(WindowsBackends, ClosedSocketCanStillBeUnregistered) {
  auto [a, b] = connected_pair();
  auto selector = make_selector_for(GetParam());
  selector->register_file(b, EVENT_READ);
  const int fd = b.fileno();
  b.close();
  EXPECT_EQ(selector->unregister(b).fd, fd);  // found by identity
  EXPECT_TRUE(selector->get_map().empty());
  EXPECT_TRUE(selector->select(0).empty());
}

}  // namespace
}  // namespace seltool
