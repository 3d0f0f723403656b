// pid:PID:FD targets and `seltool inspect` against real child processes holding real sockets,
// pipes and files: what seltool reports, and that the observed process loses nothing.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>

#include "gtest/gtest.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// A forked child of the test that holds the test's descriptors (inherited at fork) and runs
// `body` once the test calls go(); it exits with body's return value. Killed and reaped at
// the end.
class Child {
 public:
  explicit Child(std::function<int()> body) {
    Pipe go = make_pipe();
    pid_ = ::fork();
    if (pid_ == 0) {
      go.write_end.reset();
      char byte;
      const ssize_t n = ::read(go.read_end.get(), &byte, 1);
      ::_exit(n == 1 ? body() : 0);
    }
    EXPECT_GT(pid_, 0) << "fork failed";
    go_ = std::move(go.write_end);
  }
  ~Child() {
    if (pid_ <= 0 || exited_) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  pid_t pid() const { return pid_; }
  std::string target(int fd) const {
    return "pid:" + std::to_string(pid_) + ":" + std::to_string(fd);
  }
  void go() { write_all(go_.get(), "g"); }
  // Its exit code (after go()), reaped.
  int wait_exit() {
    int status = 0;
    EXPECT_EQ(::waitpid(pid_, &status, 0), pid_);
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
  UniqueFd go_;
  bool exited_ = false;
};

std::string comm_of(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/comm");
  std::string line;
  std::getline(file, line);
  return line;
}

// The line of `lines` with this "event" (and "fd", when given); fails the test when missing.
Json line_of(const std::vector<Json>& lines, const std::string& event, int fd = -1) {
  for (const Json& line : lines) {
    if (line["event"] == event && (fd < 0 || line.value("fd", -1) == fd)) return line;
  }
  ADD_FAILURE() << "no '" << event << "' line for fd " << fd;
  return Json::object();
}

TEST(PidTarget, ReportsUnreadBytesAndTakesNothingFromTheProcess) {
  SocketPair pair = make_socketpair();
  Pipe result = make_pipe();
  std::string payload(1000, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = char(i * 7 % 251);
  write_all(pair.second.fileno(), payload);
  const int held = pair.first.fileno();
  Child child([&] {
    std::string received(4096, '\0');
    const ssize_t n = ::recv(held, received.data(), received.size(), MSG_DONTWAIT);
    write_all(result.write_end.get(), received.substr(0, std::size_t(std::max<ssize_t>(n, 0))));
    return 0;
  });
  pair.first.close();  // only the child holds it now
  result.write_end.reset();

  for (const std::string& backend : kBackends) {
    const Result run = run_seltool({"watch", "-s", backend, "--once", child.target(held)});
    ASSERT_EQ(run.exit_code, 0) << run.err;
    const Json ready = line_of(parse_lines(run.out), "ready");
    EXPECT_EQ(ready["target"], child.target(held)) << backend;
    EXPECT_EQ(ready["pid"], child.pid());
    EXPECT_EQ(ready["comm"], comm_of(child.pid()));
    EXPECT_EQ(ready["fd"], held) << "the process's number, not seltool's copy";
    EXPECT_EQ(ready["events"], Json({"read"}));
    EXPECT_EQ(ready["bytes"], 1000);
    EXPECT_EQ(ready["diagnostics"]["unread"], 1000);
    EXPECT_EQ(ready["diagnostics"]["error_pending"], false);
  }

  child.go();
  EXPECT_EQ(read_until_eof(result.read_end.get()), payload) << "the process must get every byte";
  EXPECT_EQ(child.wait_exit(), 0);
}

TEST(PidTarget, ReadingOptionsAreRefused) {
  SocketPair pair = make_socketpair();
  Child child([] { return 0; });
  for (const char* option : {"--data", "--consume"}) {
    const Result run = run_seltool({"watch", option, child.target(pair.first.fileno())});
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_EQ(run.out, "");
    EXPECT_NE(run.err.find(std::string(option) + " would take data from the process"),
              std::string::npos)
        << run.err;
  }
}

// Fills the send queue of a connected TCP socket whose peer does not read: sends until the
// socket is not writable, and again whenever loopback moved more to the peer, until it stays
// unwritable for 200 ms (a settling window for the peer's delayed window updates).
void fill_send_queue(int fd) {
  const int small = 16 * 1024;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const std::string chunk(4096, 'q');
  const auto full = [&] {
    for (int i = 0; i < 10000; ++i) {
      if (::send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) break;
    }
    return !writable_within(fd, 200ms);
  };
  ASSERT_TRUE(wait_until(full, 20s, 0ms)) << "the send queue never stayed full";
}

TEST(PidTarget, AFullSendQueueIsNotWritableUntilThePeerDrains) {
  UniqueFd listener = listen_tcp(0);
  UniqueFd sender = connect_tcp(local_port(listener.get()));
  UniqueFd peer(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(peer);
  const int small = 16 * 1024;
  ::setsockopt(peer.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  fill_send_queue(sender.get());
  const int held = sender.get();
  Child child([] { return 0; });
  sender.reset();

  const Result snapshot =
      run_seltool({"inspect", std::to_string(child.pid()), std::to_string(held)});
  ASSERT_EQ(snapshot.exit_code, 0) << snapshot.err;
  const Json before = line_of(parse_lines(snapshot.out), "descriptor", held);
  EXPECT_EQ(before["events"], Json::array()) << "a full send queue is not writable";
  EXPECT_GT(before["diagnostics"]["unsent"].get<long>(), 0);
  EXPECT_EQ(before["diagnostics"]["tcp_state"], "ESTABLISHED");

  SeltoolProcess watch({"watch", "-e", "write", "--once", child.target(held)});
  ASSERT_TRUE(watch.read_event());  // start
  EXPECT_TRUE(watch.quiet_for(500ms)) << "not writable while the peer does not read";

  // The peer drains until seltool reports the sender writable (bounded).
  std::optional<Json> ready;
  const auto deadline = Clock::now() + 10s;
  while (!ready && Clock::now() < deadline) {
    char buffer[65536];
    while (::recv(peer.get(), buffer, sizeof buffer, MSG_DONTWAIT) > 0) {
    }
    ready = watch.read_event(50ms);
  }
  ASSERT_TRUE(ready) << "never reported writable";
  EXPECT_EQ((*ready)["event"], "ready");
  EXPECT_EQ((*ready)["events"], Json({"write"}));
  EXPECT_EQ((*ready)["diagnostics"]["tcp_state"], "ESTABLISHED");
  EXPECT_EQ(watch.wait_exit(), 0);
}

TEST(PidTarget, WatchEndsTheTargetWhenTheProcessExits) {
  Pipe pipe = make_pipe();  // the test keeps the write end: no end of stream
  const int held = pipe.read_end.get();
  Child child([] { return 0; });
  SeltoolProcess watch({"watch", "-t", "20", child.target(held)});
  ASSERT_TRUE(watch.read_event());  // start
  EXPECT_TRUE(watch.quiet_for(300ms));
  child.go();
  const std::optional<Json> ended = watch.read_event(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ((*ended)["event"], "error") << *ended;
  EXPECT_EQ((*ended)["error"]["code"], "PROCESS_EXITED");
  EXPECT_EQ((*ended)["pid"], child.pid());
  EXPECT_EQ(watch.wait_exit(), 1);
}

TEST(PidTarget, WaitEndsWhenTheProcessExits) {
  Pipe pipe = make_pipe();
  const int held = pipe.read_end.get();
  Child child([] { return 0; });
  SeltoolProcess wait({"wait", "-t", "20", child.target(held)});
  ASSERT_TRUE(wait.read_event());  // start
  child.go();
  const std::optional<Json> ended = wait.read_event(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ((*ended)["event"], "error");
  EXPECT_EQ((*ended)["error"]["code"], "PROCESS_EXITED");
  EXPECT_EQ(wait.wait_exit(), 1);
  EXPECT_NE(wait.rest_of_stderr().find("failed: 'pid:"), std::string::npos);
}

TEST(PidTarget, ADescriptorTheProcessClosesIsNotKeptAliveBySeltool) {
  UniqueFd listener = listen_tcp(0);
  UniqueFd ours = connect_tcp(local_port(listener.get()));
  UniqueFd theirs(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(theirs);
  const int held = theirs.get();
  Child child([held] {
    ::close(held);
    ::pause();  // alive, without the socket
    return 0;
  });
  theirs.reset();
  Pipe keep_alive = make_pipe();  // a second target, so that seltool runs on
  SeltoolProcess watch({"watch", child.target(held), "3"},
                       passing({{3, keep_alive.read_end.get()}}));
  ASSERT_TRUE(watch.read_event());  // start
  child.go();
  const std::optional<Json> ended = watch.read_event(10s);
  ASSERT_TRUE(ended);
  EXPECT_EQ((*ended)["error"]["code"], "DESCRIPTOR_CLOSED") << *ended;
  EXPECT_TRUE(watch.running());
  char byte;
  ASSERT_TRUE(readable_within(ours.get(), 5s)) << "the connection must close while seltool runs";
  EXPECT_EQ(::recv(ours.get(), &byte, 1, MSG_DONTWAIT), 0) << "end of stream expected";
}

TEST(Inspect, ListsSocketsPipesAndFilesWithKindsAddressesAndReadiness) {
  TempDir directory;
  { std::ofstream(directory.file("data.txt")) << "some data\n"; }
  UniqueFd file(::open(directory.file("data.txt").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd listener = listen_tcp(0);
  const int port = local_port(listener.get());
  UniqueFd client = connect_tcp(port);
  UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(connection);
  write_all(client.get(), "queued");
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "abc");
  Child child([] { return 0; });

  const Result run = run_seltool({"inspect", std::to_string(child.pid())});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::vector<Json> lines = parse_lines(run.out);
  const std::string address = "127.0.0.1:" + std::to_string(port);

  const Json listening = line_of(lines, "descriptor", listener.get());
  EXPECT_EQ(listening["kind"], "tcp");
  EXPECT_EQ(listening["local"], address);
  EXPECT_FALSE(listening.contains("peer"));
  EXPECT_EQ(listening["events"], Json::array()) << "no connection is waiting";
  EXPECT_EQ(listening["diagnostics"]["tcp_state"], "LISTEN");
  EXPECT_EQ(listening["diagnostics"]["accept_queue"], 0);

  const Json connected = line_of(lines, "descriptor", connection.get());
  EXPECT_EQ(connected["kind"], "tcp");
  EXPECT_EQ(connected["local"], address);
  EXPECT_EQ(connected["peer"], "127.0.0.1:" + std::to_string(local_port(client.get())));
  EXPECT_EQ(connected["events"], Json({"read", "write"}));
  EXPECT_EQ(connected["diagnostics"]["unread"], 6);
  EXPECT_EQ(connected["diagnostics"]["tcp_state"], "ESTABLISHED");

  const Json read_end = line_of(lines, "descriptor", pipe.read_end.get());
  EXPECT_EQ(read_end["kind"], "pipe");
  EXPECT_EQ(read_end["access"], "read");
  EXPECT_EQ(read_end["events"], Json({"read"}));
  EXPECT_EQ(read_end["diagnostics"]["unread"], 3);
  EXPECT_GT(read_end["diagnostics"]["pipe_capacity"].get<long>(), 0);
  const Json write_end = line_of(lines, "descriptor", pipe.write_end.get());
  EXPECT_EQ(write_end["kind"], "pipe");
  EXPECT_EQ(write_end["events"], Json({"write"}));

  const Json regular = line_of(lines, "descriptor", file.get());
  EXPECT_EQ(regular["kind"], "file");
  EXPECT_EQ(regular["path"], directory.file("data.txt"));
  EXPECT_EQ(regular["events"], Json({"read"}));

  const Json summary = lines.back();
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["pid"], child.pid());
  EXPECT_EQ(summary["listed"], lines.size() - 1);
  EXPECT_EQ(summary["inaccessible"], 0);
}

TEST(Inspect, FiltersAndTheTextTable) {
  UniqueFd listener = listen_tcp(0);
  UniqueFd client = connect_tcp(local_port(listener.get()));
  UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  write_all(client.get(), "x");
  Pipe pipe = make_pipe();
  Child child([] { return 0; });
  const std::string pid = std::to_string(child.pid());

  const Result tcp = run_seltool({"inspect", "--kind", "tcp", pid});
  ASSERT_EQ(tcp.exit_code, 0) << tcp.err;
  std::vector<Json> lines = parse_lines(tcp.out);
  ASSERT_EQ(lines.size(), 4u) << tcp.out;  // listener, client, connection, summary
  for (std::size_t i = 0; i + 1 < lines.size(); ++i) EXPECT_EQ(lines[i]["kind"], "tcp");

  const Result readable = run_seltool({"inspect", "-e", "read", "--kind", "tcp", pid});
  lines = parse_lines(readable.out);
  ASSERT_EQ(lines.size(), 2u) << readable.out;
  EXPECT_EQ(lines[0]["fd"], connection.get());

  const Result chosen = run_seltool(
      {"inspect", pid, std::to_string(pipe.read_end.get()), std::to_string(pipe.write_end.get())});
  lines = parse_lines(chosen.out);
  ASSERT_EQ(lines.size(), 3u) << chosen.out;
  EXPECT_EQ(lines[0]["fd"], pipe.read_end.get());
  EXPECT_EQ(lines[1]["fd"], pipe.write_end.get());

  const Result text = run_seltool({"inspect", "--format", "text", "--kind", "tcp", pid});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("FD ", 0), 0u) << text.out;
  EXPECT_NE(text.out.find("tcp_state=LISTEN"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("process " + pid + " ("), std::string::npos) << text.out;
  EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 5) << text.out;

  const Result bad = run_seltool({"inspect", "--kind", "tcpx", pid});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("invalid --kind 'tcpx'"), std::string::npos) << bad.err;
}

// A process id that was just used and is free now.
pid_t exited_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(PidErrors, NoSuchProcess) {
  const std::string pid = std::to_string(exited_pid());
  for (const char* command : {"watch", "wait"}) {
    const Result run = run_seltool({command, "pid:" + pid + ":0"});
    EXPECT_EQ(run.exit_code, 2) << command;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(run.err, "seltool: target 'pid:" + pid + ":0': no process " + pid +
                           " (is it still running? ps -p " + pid + ")\n");
  }
  const Result inspect = run_seltool({"inspect", pid});
  EXPECT_EQ(inspect.exit_code, 2);
  EXPECT_EQ(inspect.err,
            "seltool: no process " + pid + " (is it still running? ps -p " + pid + ")\n");
}

TEST(PidErrors, DescriptorNotOpen) {
  Child child([] { return 0; });
  const std::string pid = std::to_string(child.pid());
  const std::string expected = "process " + pid + " (" + comm_of(child.pid()) +
                               ") has no open descriptor 999 (ls -l /proc/" + pid +
                               "/fd lists them)";
  for (const char* command : {"watch", "wait"}) {
    const Result run = run_seltool({command, child.target(999)});
    EXPECT_EQ(run.exit_code, 2) << command;
    EXPECT_EQ(run.err, "seltool: target '" + child.target(999) + "': " + expected + "\n");
  }
  const Result inspect = run_seltool({"inspect", pid, "999"});
  EXPECT_EQ(inspect.exit_code, 1);
  EXPECT_EQ(inspect.err, "seltool: " + expected + "\n");
  EXPECT_EQ(parse_lines(inspect.out).back()["not_open"], Json({999}));
}

TEST(PidErrors, AnotherUsersProcess) {
  if (::geteuid() != 0 || !can_become(65534)) {
    GTEST_SKIP() << "cannot run seltool as another user (nobody) here: needs root outside a "
                    "user namespace";
  }
  Pipe pipe = make_pipe();
  Child child([] { return 0; });  // root's
  SpawnOptions as_nobody;
  as_nobody.user = 65534;
  const Result run = run_seltool({"watch", child.target(pipe.read_end.get())}, as_nobody);
  EXPECT_EQ(run.exit_code, 2) << run.err;
  EXPECT_NE(
      run.err.find("not permitted to borrow descriptor " + std::to_string(pipe.read_end.get()) +
                   " of process " + std::to_string(child.pid())),
      std::string::npos)
      << run.err;
  EXPECT_NE(run.err.find("needs ptrace access"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << "one line";

  const Result inspect = run_seltool({"inspect", std::to_string(child.pid())}, as_nobody);
  EXPECT_EQ(inspect.exit_code, 2) << inspect.err;
  EXPECT_NE(inspect.err.find("not permitted to borrow the descriptors"), std::string::npos)
      << inspect.err;
}

TEST(PidErrors, MalformedTargets) {
  for (const char* text : {"pid:", "pid:12", "pid:12:", "pid:0:1", "pid:x:1", "pid:1:-1"}) {
    const Result run = run_seltool({"watch", text});
    EXPECT_EQ(run.exit_code, 2) << text;
    EXPECT_NE(run.err.find("expected pid:PID:FD"), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace seltool::testing
