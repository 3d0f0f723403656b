// Runs the README's example server and checks that it echoes, as the Python original does.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "lib/unique_fd.h"
#include "tests/support/descriptors.h"

namespace {

using seltool::UniqueFd;

std::string example_path() {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") +
         "/examples/echo_example";
}

TEST(EchoExample, EchoesWhatAClientSends) {
  const int port = seltool::testing::free_tcp_port();
  int output[2];
  ASSERT_EQ(pipe(output), 0);
  const pid_t child = fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    dup2(output[1], 1);
    execl(example_path().c_str(), "echo_example", std::to_string(port).c_str(), nullptr);
    _exit(127);
  }
  close(output[1]);
  UniqueFd from_child(output[0]);

  // The first line says it listens; only then can a client connect.
  std::string line;
  char c;
  while (read(from_child.get(), &c, 1) == 1 && c != '\n') line += c;
  EXPECT_EQ(line, "listening on 127.0.0.1:" + std::to_string(port));

  // Two clients one after the other: the first one's close runs the example's unregister
  // path (its callback unregisters its own key), and the server must still serve the second.
  for (const std::string message : {"hello, selectors", "and again"}) {
    UniqueFd client = seltool::testing::connect_tcp(port);
    seltool::testing::write_all(client.get(), message);
    std::string echoed(message.size(), '\0');
    size_t received = 0;
    while (received < echoed.size()) {
      const ssize_t n = recv(client.get(), &echoed[received], echoed.size() - received, 0);
      ASSERT_GT(n, 0);
      received += size_t(n);
    }
    EXPECT_EQ(echoed, message);
  }

  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status));
}

}  // namespace
