// pid:PID:FD targets and `seltool inspect` against real child processes holding real sockets,
// pipes and files: what seltool reports, and that the observed process loses nothing.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

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

// The descriptor table of `inspect --format text` and its summary line: what comes before the
// threads table and the verdict (after a blank line).
std::string descriptor_table(const std::string& text) {
  return text.substr(0, text.find("\n\n") + 1);
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

// Issue 20, item 9: a process holding both ends of a pipe exits, which ends the pipe (its
// files are closed first) and then makes its pidfd readable. Whichever seltool sees first,
// the target ends with PROCESS_EXITED and exit 1, never "ready" with exit 0.
TEST(PidTarget, AnOwnerThatExitsIsProcessExitedWhicheverEventComesFirst) {
  for (const std::string& backend : kBackends) {
    for (const char* command : {"watch", "wait"}) {
      for (int i = 0; i < 10; ++i) {
        SCOPED_TRACE(backend + " " + command + " #" + std::to_string(i));
        Pipe pipe = make_pipe();
        const int held = pipe.read_end.get();
        Child child([] { return 0; });  // exits with both ends open
        pipe = Pipe{};                  // only the child holds them now
        SeltoolProcess seltool({command, "-s", backend, child.target(held)});
        ASSERT_TRUE(seltool.read_event());  // start
        child.go();
        std::optional<Json> ended = seltool.read_event(10s);
        ASSERT_TRUE(ended);
        EXPECT_EQ((*ended)["event"], "error") << *ended;
        EXPECT_EQ((*ended)["error"]["code"], "PROCESS_EXITED") << *ended;
        EXPECT_EQ(seltool.wait_exit(), 1);
        EXPECT_EQ(child.wait_exit(), 0);
      }
    }
  }
}

// Issue 20, item 8: the owner of a pid target reads its pipe, so seltool, which only looks,
// may find the bytes gone by the time it counts them (here another reader takes the byte
// while seltool is stopped right after the select() it woke it from). That is no end of
// stream while the writer is open: seltool watches on until the owner exits.
TEST(PidTarget, APipeItsOwnerReadsHasNoEndWhileTheWriterIsOpen) {
  for (const std::string& backend : kBackends) {
    SCOPED_TRACE(backend);
    Pipe pipe = make_pipe();
    const int held = pipe.read_end.get();
    Child child([] {
      ::pause();
      return 0;
    });
    SeltoolProcess seltool({"watch", "-s", backend, child.target(held)});
    ASSERT_TRUE(seltool.read_event());  // start
    child.go();
    ASSERT_TRUE(wait_until([&] { return asleep(seltool.pid()); }, 10s, 1ms));  // in select()
    write_all(pipe.write_end.get(), "x");
    seltool.while_stopped([&] { EXPECT_EQ(read_exact(held, 1), "x"); });
    ::kill(child.pid(), SIGKILL);  // the writer stays open
    EXPECT_EQ(child.wait_exit(), 128 + SIGKILL);
    for (;;) {
      std::optional<Json> line = seltool.read_event(10s);
      ASSERT_TRUE(line);
      if ((*line)["event"] != "ready") {
        EXPECT_EQ((*line)["event"], "error") << *line;
        EXPECT_EQ((*line)["error"]["code"], "PROCESS_EXITED") << *line;
        break;
      }
      EXPECT_EQ((*line)["events"], Json({"read"})) << "no end while the writer is open: " << *line;
    }
    EXPECT_EQ(seltool.wait_exit(), 1);
  }
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
  const std::string table = descriptor_table(text.out);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 5) << text.out;

  const Result bad = run_seltool({"inspect", "--kind", "tcpx", pid});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("invalid --kind 'tcpx'"), std::string::npos) << bad.err;
}

// A kernel without pidfd_getfd (before 5.6), and one without pidfd_open too (before 5.3), played
// by a seccomp filter: inspect shows what /proc shows (kinds, addresses, access, TCP state),
// with no readiness, labelled in the summary, the text and on stderr; exit 0.
TEST(Inspect, WithoutPidfdGetfdShowsWhatProcShowsLabelled) {
  TempDir directory;
  { std::ofstream(directory.file("data.txt")) << "some data\n"; }
  UniqueFd file(::open(directory.file("data.txt").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd listener = listen_tcp(0);
  const int port = local_port(listener.get());
  UniqueFd client = connect_tcp(port);
  UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(connection);
  write_all(client.get(), "queued");
  UniqueFd unix_listener = listen_unix(directory.file("sock"));
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "abc");
  Child child([] { return 0; });
  const std::string pid = std::to_string(child.pid());
  const std::string address = "127.0.0.1:" + std::to_string(port);
  const std::string label =
      "readiness and queue sizes unknown: this kernel cannot borrow descriptors of other "
      "processes (pidfd_getfd needs Linux 5.6 or later); kinds, addresses and access are from "
      "/proc";
  constexpr long kPidfdOpen = 434, kPidfdGetfd = 438;  // the same on every architecture

  for (const std::vector<long>& missing :
       {std::vector<long>{kPidfdGetfd}, std::vector<long>{kPidfdOpen, kPidfdGetfd}}) {
    SCOPED_TRACE(missing.size() == 1 ? "without pidfd_getfd" : "without pidfd_open");
    SpawnOptions old_kernel;
    old_kernel.enosys_calls = missing;
    const Result run = run_seltool({"inspect", pid}, old_kernel);
    ASSERT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.err, "seltool: from /proc only: " + label + "\n");
    const std::vector<Json> lines = parse_lines(run.out);

    const Json listening = line_of(lines, "descriptor", listener.get());
    EXPECT_EQ(listening["kind"], "tcp");
    EXPECT_EQ(listening["local"], address);
    EXPECT_FALSE(listening.contains("peer"));
    EXPECT_EQ(listening["access"], "read,write");
    EXPECT_FALSE(listening.contains("events")) << "readiness is unknown, not none";
    EXPECT_EQ(listening["diagnostics"], Json({{"tcp_state", "LISTEN"}})) << "no queue sizes";
    const Json connected = line_of(lines, "descriptor", connection.get());
    EXPECT_EQ(connected["kind"], "tcp");
    EXPECT_EQ(connected["local"], address);
    EXPECT_EQ(connected["peer"], "127.0.0.1:" + std::to_string(local_port(client.get())));
    EXPECT_EQ(connected["diagnostics"], Json({{"tcp_state", "ESTABLISHED"}}));
    const Json unix_line = line_of(lines, "descriptor", unix_listener.get());
    EXPECT_EQ(unix_line["kind"], "unix_stream");
    EXPECT_EQ(unix_line["local"], "unix:" + directory.file("sock"));
    const Json read_end = line_of(lines, "descriptor", pipe.read_end.get());
    EXPECT_EQ(read_end["kind"], "pipe");
    EXPECT_EQ(read_end["access"], "read");
    EXPECT_FALSE(read_end.contains("events"));
    EXPECT_FALSE(read_end.contains("diagnostics"));
    EXPECT_EQ(line_of(lines, "descriptor", pipe.write_end.get())["access"], "write");
    const Json regular = line_of(lines, "descriptor", file.get());
    EXPECT_EQ(regular["kind"], "file");
    EXPECT_EQ(regular["path"], directory.file("data.txt"));
    EXPECT_EQ(lines.back()["event"], "summary");
    EXPECT_EQ(lines.back()["proc_only"], label);
    EXPECT_EQ(lines.back()["inaccessible"], 0);

    const Result text =
        run_seltool({"inspect", "--format", "text", "--kind", "tcp", pid}, old_kernel);
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_NE(text.out.find("from /proc only: " + label + "\n"), std::string::npos) << text.out;
    std::istringstream table(descriptor_table(text.out));
    std::string header, row;
    std::getline(table, header);
    std::getline(table, row);
    EXPECT_EQ(row.substr(header.find("EVENTS"), 2), "? ") << text.out;
  }
  // The process lost nothing: its data is still there to read.
  char bytes[16];
  EXPECT_EQ(::read(pipe.read_end.get(), bytes, sizeof bytes), 3);
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

// A thread id is not a process: the error names the process to use instead (the kernel
// refuses a thread with EINVAL or, since Linux 6.9, ENOENT).
TEST(PidErrors, AThreadIdNamesItsProcess) {
  Pipe release = make_pipe();
  Pipe announce = make_pipe();
  std::thread thread([&] {
    const std::string tid = std::to_string(::syscall(SYS_gettid));
    write_all(announce.write_end.get(), tid);
    announce.write_end.reset();
    char byte;
    (void)::read(release.read_end.get(), &byte, 1);
  });
  const std::string tid = read_until_eof(announce.read_end.get());
  const std::string pid = std::to_string(::getpid());
  const std::string expected =
      tid + " is a thread of process " + pid + ", not a process: use " + pid;
  const Result inspect = run_seltool({"inspect", tid});
  EXPECT_EQ(inspect.exit_code, 2) << inspect.err;
  EXPECT_EQ(inspect.err, "seltool: " + expected + "\n");
  const Result wait = run_seltool({"wait", "pid:" + tid + ":0"});
  EXPECT_EQ(wait.exit_code, 2) << wait.err;
  EXPECT_EQ(wait.err, "seltool: target 'pid:" + tid + ":0': " + expected + "\n");
  release.write_end.reset();
  thread.join();
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

  // inspect: one line naming what is missing, exit 1, and what /proc still shows.
  const Result inspect = run_seltool({"inspect", std::to_string(child.pid())}, as_nobody);
  EXPECT_EQ(inspect.exit_code, 1) << inspect.err;
  EXPECT_NE(inspect.err.find("not permitted to borrow the descriptors"), std::string::npos)
      << inspect.err;
  EXPECT_NE(inspect.err.find("seltool runs as uid 65534 without CAP_SYS_PTRACE (run it as uid 0"),
            std::string::npos)
      << inspect.err;
  EXPECT_EQ(std::count(inspect.err.begin(), inspect.err.end(), '\n'), 1) << "one line";
  const Json summary = parse_lines(inspect.out).at(0);
  EXPECT_EQ(summary["event"], "summary");
  EXPECT_EQ(summary["pid"], child.pid());
  EXPECT_EQ(summary["uid"], 0);
  EXPECT_EQ(summary["thread_count"], 1);
  EXPECT_EQ(summary["error"]["code"], "EACCES");
}

// Text that would rewrite a terminal or the table: OSC (set the title), BEL, CSI (clear the
// screen) in its 7-bit and its C1 form (U+009B), a newline and DEL.
const std::string kHostile =
    "\x1b]0;owned\x07\x1b[2J\n\xc2\x9b"
    "31m\x7f";

// A Unix socket of user nobody, bound at `path` and connected to `server`, kept until the
// process is killed (when this object ends).
class NobodysClient {
 public:
  NobodysClient(const std::string& path, const std::string& server) {
    Pipe ready = make_pipe();
    pid_ = ::fork();
    if (pid_ == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0) {
        ::_exit(126);
      }
      UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
      sockaddr_un own{}, peer{};
      own.sun_family = peer.sun_family = AF_UNIX;
      path.copy(own.sun_path, sizeof own.sun_path - 1);
      server.copy(peer.sun_path, sizeof peer.sun_path - 1);
      if (::bind(client.get(), reinterpret_cast<sockaddr*>(&own), sizeof own) != 0 ||
          ::connect(client.get(), reinterpret_cast<sockaddr*>(&peer), sizeof peer) != 0) {
        ::_exit(1);
      }
      write_all(ready.write_end.get(), "r");
      for (;;) ::pause();
    }
    ready.write_end.reset();
    connected_ = read_exact(ready.read_end.get(), 1) == "r";
  }
  ~NobodysClient() {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  bool connected() const { return connected_; }

 private:
  pid_t pid_ = -1;
  bool connected_ = false;
};

// Issue 20, item 2: an unprivileged peer names its socket with escape sequences and a newline;
// root's `inspect --format text` must show them escaped in every column (LOCAL, PEER, DETAILS'
// path, the process's comm), one row per descriptor.
TEST(Inspect, TextEscapesWhatOthersNamed) {
  if (::geteuid() != 0 || !can_become(65534)) {
    GTEST_SKIP() << "the hostile peer runs as nobody: needs root outside a user namespace";
  }
  TempDir temp;
  const std::string server = temp.file("l" + kHostile), nobodys = temp.file("u");
  ASSERT_EQ(::chmod(temp.file("").c_str(), 0711), 0);
  ASSERT_EQ(::mkdir(nobodys.c_str(), 0755), 0);
  ASSERT_EQ(::chown(nobodys.c_str(), 65534, 65534), 0);
  UniqueFd listener = listen_unix(server);
  ASSERT_EQ(::chmod(server.c_str(), 0777), 0);  // connecting takes write permission
  NobodysClient client(nobodys + "/p" + kHostile, server);
  ASSERT_TRUE(client.connected());
  UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(connection);
  UniqueFd file(::open(temp.file("f" + kHostile).c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600));
  ASSERT_TRUE(file);
  // At most 15 bytes; no newline, which would end it in /proc/PID/comm.
  const std::string comm =
      "\x1b[2J\t\xc2\x9b"
      "1m\x7f";
  Pipe named = make_pipe();
  Child child([&] {
    ::prctl(PR_SET_NAME, comm.c_str());
    write_all(named.write_end.get(), "n");
    for (;;) ::pause();
    return 0;
  });
  child.go();
  named.write_end.reset();
  ASSERT_EQ(read_exact(named.read_end.get(), 1), "n");
  const std::string pid = std::to_string(child.pid());

  const Result json = run_seltool({"inspect", pid});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::vector<Json> lines = parse_lines(json.out);
  EXPECT_EQ(lines.back()["comm"], comm) << "the process is not named as the test meant";
  EXPECT_EQ(line_of(lines, "descriptor", connection.get())["peer"],
            "unix:" + nobodys + "/p" + kHostile);

  const Result text = run_seltool({"inspect", "--format", "text", pid});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_TRUE(terminal_safe(text.out)) << text.out;
  const std::string table = descriptor_table(text.out);
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), long(lines.size()) + 1)
      << "a header, one row per descriptor and the summary:\n"
      << text.out;
  const std::string shown = "\\x1B]0;owned\\x07\\x1B[2J\\n\\u009B31m\\x7F";
  // LOCAL, PEER and the path in DETAILS.
  for (const std::string& column :
       {"unix:" + temp.file("l"), "unix:" + nobodys + "/p", temp.file("f")}) {
    EXPECT_NE(text.out.find(column + shown), std::string::npos) << column << " in\n" << text.out;
  }
  EXPECT_NE(text.out.find("(\\x1B[2J\\t\\u009B1m\\x7F)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  \\x1B[2J\\t\\u009B1m\\x7F  sleeping"), std::string::npos)
      << "the threads table's COMM:\n"
      << text.out;
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
