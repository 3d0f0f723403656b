// The Windows select backend with real Winsock sockets (run under wine by --config=mingw).
// winsock2.h before windows.h, as Winsock requires.
// clang-format off
#include <winsock2.h>
#include <windows.h>
// clang-format on

#include <chrono>
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

TEST(WindowsSelect, OnlySelectIsCompiledAndItIsTheDefault) {
  EXPECT_EQ(compiled_backend_names(), std::vector<std::string>{"select"});
  EXPECT_EQ(default_selector_name(), "select");
  auto selector = make_default_selector();
  EXPECT_EQ(selector->name(), "select");
  EXPECT_FALSE(selector->fileno().has_value());
  EXPECT_FALSE(selector->traits().has_kernel_object);
  EXPECT_TRUE(selector->traits().refuses_closed_descriptors);  // only open sockets
  EXPECT_FALSE(selector->traits().watches_regular_files);
  EXPECT_FALSE(selector->traits().limited_to_fd_setsize);  // a count of sockets here
  for (const BackendInfo& info : backends()) {
    EXPECT_EQ(info.compiled, info.name == "select") << info.name;
    EXPECT_EQ(info.usable, info.name == "select") << info.name << ": " << info.reason;
  }
  EXPECT_THROW(make_selector("epoll"), std::invalid_argument);
}

TEST(WindowsSelect, SocketBecomesReadableAfterPeerSends) {
  auto [a, b] = connected_pair();
  auto selector = make_selector("select");
  selector->register_file(b, EVENT_READ);
  EXPECT_TRUE(selector->select(0).empty());
  ASSERT_EQ(::send(a.get(), "hello", 5, 0), 5);
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  auto [key, events] = *ready.begin();
  EXPECT_EQ(key.fd, b.fileno());
  EXPECT_EQ(events, EVENT_READ);
}

TEST(WindowsSelect, ConnectedSocketIsWritableAndReportedOnceWithBothBits) {
  auto [a, b] = connected_pair();
  auto selector = make_selector("select");
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

TEST(WindowsSelect, FailedConnectIsSeenAsWritableWithError) {
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

  auto selector = make_selector("select");
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

TEST(WindowsSelect, PeerCloseMakesSocketReadable) {
  auto [a, b] = connected_pair();
  auto selector = make_selector("select");
  selector->register_file(b, EVENT_READ);
  a.close();
  auto ready = selector->select(10);
  ASSERT_EQ(ready.size(), 1u);
  char byte;
  EXPECT_EQ(::recv(b.get(), &byte, 1, 0), 0) << "end of stream";
}

TEST(WindowsSelect, EmptySelectorHonoursTimeout) {
  auto selector = make_selector("select");
  const auto start = Clock::now();
  EXPECT_TRUE(selector->select(0.2).empty());
  const double waited = seconds_since(start);
  EXPECT_GE(waited, 0.2);
  EXPECT_LT(waited, 10.0);
}

TEST(WindowsSelect, WakeupFromAnotherThreadEndsBlockingSelect) {
  auto selector = make_selector("select");
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

TEST(WindowsSelect, NonSocketHandleIsRefusedWithWSAENOTSOCK) {
  HANDLE read_end = nullptr;
  HANDLE write_end = nullptr;
  ASSERT_TRUE(::CreatePipe(&read_end, &write_end, nullptr, 0));
  auto selector = make_selector("select");
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

TEST(WindowsSelect, ClosedSocketCanStillBeUnregistered) {
  auto [a, b] = connected_pair();
  auto selector = make_selector("select");
  selector->register_file(b, EVENT_READ);
  const int fd = b.fileno();
  b.close();
  EXPECT_EQ(selector->unregister(b).fd, fd);  // found by identity
  EXPECT_TRUE(selector->get_map().empty());
  EXPECT_TRUE(selector->select(0).empty());
}

}  // namespace
}  // namespace seltool
