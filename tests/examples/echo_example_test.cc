// Runs the README's example server and checks that it echoes, as the Python original does.
#include <signal.h>

#include <string>

#include "gtest/gtest.h"
#include "lib/unique_fd.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

TEST(EchoExample, EchoesWhatAClientSends) {
  const int port = free_tcp_port();
  SeltoolProcess server(runfile("examples/echo_example"), {std::to_string(port)}, {});

  // The first line says it listens; only then can a client connect.
  const std::optional<std::string> line = server.read_line(10s);
  ASSERT_TRUE(line) << server.rest_of_stderr(1s);
  EXPECT_EQ(*line, "listening on 127.0.0.1:" + std::to_string(port));

  // Two clients one after the other: the first one's close runs the example's unregister
  // path (its callback unregisters its own key), and the server must still serve the second.
  for (const std::string message : {"hello, selectors", "and again"}) {
    UniqueFd client = connect_tcp(port);
    write_all(client.get(), message);
    EXPECT_EQ(read_exact(client.get(), message.size()), message);
  }

  server.signal(SIGTERM);
  EXPECT_EQ(server.wait_exit(), 128 + SIGTERM) << "the example ends by SIGTERM";
}

}  // namespace
}  // namespace seltool::testing
