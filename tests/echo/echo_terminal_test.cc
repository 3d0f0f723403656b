// `seltool echo` with its log on a terminal: the real binary on a pty (posix_openpt), run as
// another user so that it cannot open the terminal a second time. Not sandboxed: it switches
// to another uid, which the sandbox's user namespace lacks.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

constexpr uid_t kNobody = 65534;

// echo with its log on a terminal it cannot open a second time (another user's pty that nobody
// reads: reopening it is refused) goes on serving, and stops on SIGTERM within its drain
// (issue 20, item 6: a blocking write of the log on the terminal once froze the server).
TEST(EchoTerminal, ServesWhileNobodyReadsItsTerminal) {
  if (::geteuid() != 0 || !can_become(kNobody)) {
    GTEST_SKIP() << "cannot run seltool as another user (nobody) here: needs root outside a "
                    "user namespace";
  }
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(master);
  ASSERT_EQ(::grantpt(master.get()), 0);
  ASSERT_EQ(::unlockpt(master.get()), 0);
  const std::string name = ::ptsname(master.get());
  UniqueFd terminal(::open(name.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(terminal);
  struct stat status {};
  ASSERT_EQ(::fstat(terminal.get(), &status), 0);
  ASSERT_EQ(status.st_mode & S_IWOTH, 0u) << "another user could open the terminal again";
  SpawnOptions options;
  options.descriptors[1] = terminal.get();
  options.user = kNobody;
  SeltoolProcess process({"echo", "--listen", "127.0.0.1:0", "--drain-timeout", "2s"}, options);
  terminal.reset();
  // The "listening" line, from the terminal's other side; from now on nobody reads it.
  std::string first;
  while (first.find('\n') == std::string::npos && readable_within(master.get(), 20s)) {
    char buffer[512];
    const ssize_t n = ::read(master.get(), buffer, sizeof buffer);
    if (n <= 0) break;
    first.append(buffer, std::size_t(n));
  }
  ASSERT_NE(first.find('\n'), std::string::npos) << first << process.rest_of_stderr(2s);
  const Json listening = Json::parse(first.substr(0, first.find_first_of("\r\n")));
  const std::string address = listening["address"];
  const int port = std::stoi(address.substr(address.rfind(':') + 1));
  // About 150 bytes per line, two lines per client: well past what the terminal buffers.
  for (int i = 0; i < 1500; ++i) {
    UniqueFd client = connect_tcp(port);
    write_all(client.get(), "ping");
    ASSERT_EQ(read_exact(client.get(), 4, 5s), "ping") << "client " << i << " not served";
    std::this_thread::sleep_for(1ms);  // a rate: the log is written a few lines at a time
  }
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait_exit(10s), 0);
}

}  // namespace
}  // namespace seltool::testing
