// When `watch` and `wait` report "hup" (issue 20, item 8): only at a real end of stream (a
// pipe whose writers are gone, a stream socket whose peer ended it, a datagram socket shut
// down), never for a datagram of 0 bytes or for a pipe whose data another reader took first.
// Real datagram and seqpacket sockets and a real second reader, on every backend.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

class EndOfStream : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<std::string> watch(std::vector<std::string> args) const {
    args.insert(args.begin(), {"watch", "-s", GetParam()});
    return args;
  }

  // The next line, which must be a "ready" line.
  static Json next_ready(SeltoolProcess& seltool) {
    const std::optional<Json> line = seltool.read_event(10s);
    EXPECT_TRUE(line) << "no line: " << seltool.rest_of_stderr(1s);
    if (!line) return Json::object();
    EXPECT_EQ((*line)["event"], "ready") << *line;
    return *line;
  }
};

// Two connected sockets of `type` (SOCK_DGRAM, SOCK_SEQPACKET), close-on-exec.
std::pair<UniqueFd, UniqueFd> record_pair(int type) {
  int fds[2];
  EXPECT_EQ(::socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, fds), 0);
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

void send_datagram(int fd, const std::string& bytes) {
  ASSERT_EQ(::send(fd, bytes.data(), bytes.size(), 0), ssize_t(bytes.size()));
}

// A UDP socket bound to loopback and one connected to it.
std::pair<UniqueFd, UniqueFd> udp_pair() {
  UniqueFd receiver(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  UniqueFd sender(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(receiver.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(::getsockname(receiver.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  EXPECT_EQ(::connect(sender.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  return {std::move(receiver), std::move(sender)};
}

// A datagram of 0 bytes is a datagram: "read" with 0 bytes, consumed like any other, and the
// socket stays watched for the next.
TEST_P(EndOfStream, AZeroLengthUdpDatagramIsADatagram) {
  auto [receiver, sender] = udp_pair();
  SeltoolProcess seltool(watch({"--consume", "3"}), passing({{3, receiver.get()}}));
  ASSERT_TRUE(seltool.read_event());  // start
  send_datagram(sender.get(), "");
  Json ready = next_ready(seltool);
  EXPECT_EQ(ready["events"], Json({"read"})) << ready;
  EXPECT_EQ(ready["bytes"], 0);
  send_datagram(sender.get(), "abc");
  ready = next_ready(seltool);
  EXPECT_EQ(ready["events"], Json({"read"})) << ready;
  EXPECT_EQ(ready["bytes"], 3);
  send_datagram(sender.get(), "");
  ready = next_ready(seltool);
  EXPECT_EQ(ready["bytes"], 0) << "the second datagram of 0 bytes is reported too";
  EXPECT_TRUE(seltool.running());
}

// The same for a seqpacket socket, whose end (the peer's close) is a hangup.
TEST_P(EndOfStream, AZeroLengthSeqpacketRecordIsARecordAndThePeersCloseTheEnd) {
  auto [mine, peer] = record_pair(SOCK_SEQPACKET);
  SeltoolProcess seltool(watch({"3"}), passing({{3, mine.get()}}));
  ASSERT_TRUE(seltool.read_event());  // start
  send_datagram(peer.get(), "");
  Json ready = next_ready(seltool);
  EXPECT_EQ(ready["events"], Json({"read"})) << ready;
  EXPECT_EQ(ready["bytes"], 0);
  ASSERT_EQ(::recv(mine.get(), nullptr, 0, MSG_DONTWAIT), 0);  // the record, taken
  peer.reset();
  Json end = next_ready(seltool);
  EXPECT_EQ(end["events"], Json({"read", "hup"})) << end;
  EXPECT_EQ(seltool.wait_exit(), 0);
}

// The next "ready" line with `bytes`, skipping others; fails at a "hup" or any other line.
void expect_bytes_without_end(SeltoolProcess& seltool, int bytes) {
  for (;;) {
    const std::optional<Json> line = seltool.read_event(10s);
    ASSERT_TRUE(line) << "no line with " << bytes << " bytes";
    ASSERT_EQ((*line)["event"], "ready") << *line;
    ASSERT_EQ((*line)["events"], Json({"read"})) << "no end while the writer is open: " << *line;
    if ((*line)["bytes"] == bytes) return;
  }
}

// Another reader of the pipe takes the bytes, often between seltool's select() and its count
// of them (seltool is stopped as a byte wakes it, and the byte is taken): no end while the
// writer is open, and the end once it closes.
TEST_P(EndOfStream, APipeReadByAnotherReaderEndsOnlyWhenItsWriterCloses) {
  Pipe pipe = make_pipe();
  // -v: diagnostics are taken before the count, as for a pid target (a wider window).
  SeltoolProcess seltool(watch({"-v", "3"}), passing({{3, pipe.read_end.get()}}));
  ASSERT_TRUE(seltool.read_event());  // start
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(wait_until([&] { return asleep(seltool.pid()); }, 10s, 1ms));  // in select()
    write_all(pipe.write_end.get(), "x");
    seltool.while_stopped([&] { EXPECT_EQ(read_exact(pipe.read_end.get(), 1), "x"); });
  }
  write_all(pipe.write_end.get(), "zz");  // left to seltool
  expect_bytes_without_end(seltool, 2);
  EXPECT_EQ(read_exact(pipe.read_end.get(), 2), "zz");
  pipe.write_end.reset();
  Json end = next_ready(seltool);
  EXPECT_EQ(end["events"], Json({"read", "hup"})) << end;
  std::optional<Json> summary = seltool.read_event();
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["reason"], "closed");
  EXPECT_EQ(seltool.wait_exit(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, EndOfStream, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing
