// `seltool inspect` answering "what is this process waiting for?": each thread's wait (epoll,
// poll, select) with the right descriptors, each epoll interest list, and the findings, against
// real programs (tests/cli/programs). Afterwards each program reads exactly the bytes sent to
// it: inspect takes nothing.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

const char* const kPython = "/usr/bin/python3";

// A program of tests/cli/programs holding the far ends of socket pairs as fds 3, 4...; `near`
// are the test's ends, in the same order.
class Program {
 public:
  Program(const std::string& path, const std::vector<std::string>& args, int sockets) {
    std::map<int, int> passed;
    for (int i = 0; i < sockets; ++i) {
      SocketPair pair = make_socketpair();
      passed[3 + i] = pair.second.fileno();
      pairs_.push_back(std::move(pair));
    }
    process_ = std::make_unique<SeltoolProcess>(path, args, passing(passed));
    for (SocketPair& pair : pairs_) pair.second.close();  // only the program holds them now
  }

  // Started, and asleep in its loop (it said "waiting", then sleeps).
  bool waiting() { return process_->read_line(10s) == "waiting" && sleeping(); }
  // Asleep again (within 5 s).
  bool sleeping() {
    for (int i = 0; i < 500; ++i) {
      if (asleep(pid())) return true;
      ::usleep(10000);
    }
    return false;
  }
  pid_t pid() const { return process_->pid(); }
  int near(int program_fd) const { return pairs_[std::size_t(program_fd - 3)].first.fileno(); }
  // What the program read from `program_fd` in its next `chunks` "got FD HEX" lines.
  std::string received(int program_fd, std::size_t size) {
    std::string bytes;
    while (bytes.size() < size) {
      const std::optional<std::string> line = process_->read_line(10s);
      if (!line) break;
      const std::string prefix = "got " + std::to_string(program_fd) + " ";
      if (line->rfind(prefix, 0) != 0) continue;
      for (std::size_t i = prefix.size(); i + 1 < line->size(); i += 2) {
        bytes += char(std::stoi(line->substr(i, 2), nullptr, 16));
      }
    }
    return bytes;
  }

 private:
  std::vector<SocketPair> pairs_;
  std::unique_ptr<SeltoolProcess> process_;
};

bool have_python() { return ::access(kPython, X_OK) == 0; }

std::unique_ptr<Program> python_loop(const std::string& mode, int sockets) {
  return std::make_unique<Program>(
      kPython, std::vector<std::string>{runfile("tests/cli/programs/event_loops.py"), mode},
      sockets);
}

struct Inspection {
  std::vector<Json> descriptors;
  Json summary;
};

Inspection inspect(pid_t pid) {
  const Result run = run_seltool({"inspect", std::to_string(pid)});
  EXPECT_NE(run.exit_code, 2) << run.err;
  Inspection found;
  for (const Json& line : parse_lines(run.out)) {
    if (line["event"] == "descriptor") found.descriptors.push_back(line);
    if (line["event"] == "summary") found.summary = line;
  }
  return found;
}

// The main thread (tid == pid), where the loops run.
Json main_thread(const Inspection& found, pid_t pid) {
  for (const Json& thread : found.summary["threads"]) {
    if (thread["tid"] == pid) return thread;
  }
  ADD_FAILURE() << "no thread " << pid << " in " << found.summary;
  return Json::object();
}

Json descriptor(const Inspection& found, int fd) {
  for (const Json& line : found.descriptors) {
    if (line["fd"] == fd) return line;
  }
  ADD_FAILURE() << "no descriptor " << fd;
  return Json::object();
}

std::vector<Json> findings_of(const Inspection& found, const std::string& kind) {
  std::vector<Json> matching;
  for (const Json& finding : found.summary["findings"]) {
    if (finding["kind"] == kind) matching.push_back(finding);
  }
  return matching;
}

bool one_of(const Json& value, std::initializer_list<const char*> names) {
  return std::any_of(names.begin(), names.end(), [&](const char* name) { return value == name; });
}

TEST(InspectWaits, PythonEpollSelectorLoop) {
  if (!have_python()) GTEST_SKIP() << kPython << " is not installed";
  auto program = python_loop("epoll", 1);
  ASSERT_TRUE(program->waiting());
  const Inspection found = inspect(program->pid());

  const Json thread = main_thread(found, program->pid());
  EXPECT_EQ(thread["state"], "sleeping") << thread;
  EXPECT_TRUE(one_of(thread["syscall"], {"epoll_wait", "epoll_pwait"})) << thread;
  ASSERT_EQ(thread["fds"].size(), 1u) << thread;
  const int epfd = thread["fds"][0];
  EXPECT_TRUE(thread["timeout_ms"].is_null()) << "selector.select() waits forever: " << thread;
  EXPECT_EQ(thread["ran_during_sample"], false) << thread;

  const Json epoll = descriptor(found, epfd);
  EXPECT_EQ(epoll["kind"], "epoll");
  ASSERT_EQ(epoll["interest"].size(), 1u) << epoll;
  EXPECT_EQ(epoll["interest"][0]["fd"], 3);
  EXPECT_EQ(epoll["interest"][0]["events"], Json({"read"}));
  EXPECT_EQ(epoll["interest"][0]["status"], "open");
  EXPECT_EQ(epoll["interest"][0]["ready"], Json({"write"})) << "nothing to read yet";
  EXPECT_EQ(found.summary["findings"], Json::array()) << "a healthy loop";

  const std::string payload = "hello epoll";
  write_all(program->near(3), payload);
  EXPECT_EQ(program->received(3, payload.size()), payload);
}

TEST(InspectWaits, PythonPollSelectorLoopWithTimeout) {
  if (!have_python()) GTEST_SKIP() << kPython << " is not installed";
  auto program = python_loop("poll", 1);
  ASSERT_TRUE(program->waiting());
  const std::string before = "sent before inspect";
  write_all(program->near(3), before);
  EXPECT_EQ(program->received(3, before.size()), before);
  ASSERT_TRUE(program->sleeping());

  const Inspection found = inspect(program->pid());
  const Json thread = main_thread(found, program->pid());
  EXPECT_TRUE(one_of(thread["syscall"], {"poll", "ppoll"})) << thread;
  EXPECT_EQ(thread["watched"], Json::parse(R"([{"fd":3,"events":["read"]}])")) << thread;
  EXPECT_EQ(thread["timeout_ms"], 30000) << thread;

  const std::string payload(3000, 'p');
  write_all(program->near(3), payload);
  EXPECT_EQ(program->received(3, payload.size()), payload);
}

TEST(InspectWaits, CProgramBlockedInSelect) {
  Program program(runfile("tests/cli/select_blocked"), {}, 2);
  ASSERT_TRUE(program.waiting());
  const Result text = run_seltool({"inspect", "--format", "text", std::to_string(program.pid())});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("select"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("3:read 4:read"), std::string::npos) << text.out;

  const Inspection found = inspect(program.pid());
  const Json thread = main_thread(found, program.pid());
  EXPECT_TRUE(one_of(thread["syscall"], {"select", "pselect6"})) << thread;
  EXPECT_EQ(thread["watched"],
            Json::parse(R"([{"fd":3,"events":["read"]},{"fd":4,"events":["read"]}])"))
      << thread;
  EXPECT_TRUE(thread["timeout_ms"].is_null()) << thread;

  write_all(program.near(4), "four");
  EXPECT_EQ(program.received(4, 4), "four");
  write_all(program.near(3), "three");
  EXPECT_EQ(program.received(3, 5), "three");
}

TEST(InspectWaits, ForgottenDescriptorIsAFinding) {
  if (!have_python()) GTEST_SKIP() << kPython << " is not installed";
  auto program = python_loop("forgot", 2);
  ASSERT_TRUE(program->waiting());
  const std::string payload = "nobody listens";
  write_all(program->near(4), payload);

  const Inspection found = inspect(program->pid());
  const Json thread = main_thread(found, program->pid());
  const int epfd = thread["fds"][0];
  const Json interest = descriptor(found, epfd)["interest"];
  ASSERT_EQ(interest.size(), 1u) << interest;
  EXPECT_EQ(interest[0]["fd"], 3) << "fd 4 was unregistered";
  EXPECT_EQ(descriptor(found, 4)["diagnostics"]["unread"], payload.size());

  const std::vector<Json> unwatched = findings_of(found, "unwatched_input");
  ASSERT_EQ(unwatched.size(), 1u) << found.summary["findings"];
  EXPECT_EQ(unwatched[0]["fds"], Json({4}));
  EXPECT_EQ(unwatched[0]["tids"], Json({program->pid()}));
  EXPECT_NE(unwatched[0]["next"].get<std::string>().find("pid:"), std::string::npos);
  const std::vector<Json> asleep = findings_of(found, "asleep_without_timeout");
  ASSERT_EQ(asleep.size(), 1u) << found.summary["findings"];
  EXPECT_EQ(asleep[0]["fds"], Json({4}));

  const Result text = run_seltool({"inspect", "--format", "text", std::to_string(program->pid())});
  EXPECT_NE(text.out.find("verdict: 2 finding(s)"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("unwatched_input: fd 4 (unix_stream) has 14 byte(s) unread"),
            std::string::npos)
      << text.out;

  write_all(program->near(3), "again\n");
  EXPECT_EQ(program->received(3, 6), "again\n");
  EXPECT_EQ(program->received(4, payload.size()), payload) << "inspect must take nothing";
}

TEST(InspectWaits, InputAnEpollSetHoldsButNobodyWaitsOn) {
  if (!have_python()) GTEST_SKIP() << kPython << " is not installed";
  auto program = python_loop("elsewhere", 1);
  ASSERT_TRUE(program->waiting());
  const std::string payload = "registered, not awaited";
  write_all(program->near(3), payload);

  const Inspection found = inspect(program->pid());
  const Json thread = main_thread(found, program->pid());
  EXPECT_FALSE(thread.contains("timeout_ms")) << "pause() takes none: " << thread;
  Json interest;
  for (const Json& line : found.descriptors) {
    if (line["kind"] == "epoll") interest = line["interest"];
  }
  ASSERT_EQ(interest.size(), 1u) << interest;
  EXPECT_EQ(interest[0]["ready"], Json({"read", "write"}));
  EXPECT_EQ(findings_of(found, "unwatched_input").size(), 0u)
      << "fd 3 is registered: " << found.summary["findings"];
  const std::vector<Json> asleep = findings_of(found, "asleep_without_timeout");
  ASSERT_EQ(asleep.size(), 1u) << found.summary["findings"];
  EXPECT_EQ(asleep[0]["fds"], Json({3}));

  ASSERT_EQ(::kill(program->pid(), SIGUSR1), 0);
  EXPECT_EQ(program->received(3, payload.size()), payload);
}

TEST(InspectWaits, StaleEpollRegistrationIsAFinding) {
  if (!have_python()) GTEST_SKIP() << kPython << " is not installed";
  auto program = python_loop("stale", 1);
  ASSERT_TRUE(program->waiting());
  const Inspection found = inspect(program->pid());
  const Json thread = main_thread(found, program->pid());
  const int epfd = thread["fds"][0];
  const Json interest = descriptor(found, epfd)["interest"];
  ASSERT_EQ(interest.size(), 1u) << interest;
  EXPECT_EQ(interest[0]["fd"], 5);
  EXPECT_EQ(interest[0]["status"], "not_open");
  EXPECT_FALSE(interest[0].contains("ready"));
  const std::vector<Json> stale = findings_of(found, "stale_registration");
  ASSERT_EQ(stale.size(), 1u) << found.summary["findings"];
  EXPECT_EQ(stale[0]["fds"], Json({epfd, 5}));
  EXPECT_EQ(stale[0]["tids"], Json({program->pid()}));
}

TEST(InspectWaits, WritableWatchedAndAStuckSendQueueNeedTwoLooks) {
  if (!have_python()) GTEST_SKIP() << kPython << " is not installed";
  auto writable = python_loop("writable", 1);
  ASSERT_TRUE(writable->waiting());
  auto unsent = python_loop("unsent", 1);
  ASSERT_TRUE(unsent->waiting());

  const Inspection busy = inspect(writable->pid());
  const std::vector<Json> spinning = findings_of(busy, "writable_watched");
  ASSERT_EQ(spinning.size(), 1u) << busy.summary["findings"];
  EXPECT_EQ(spinning[0]["fds"], Json({3}));

  const Inspection stuck = inspect(unsent->pid());
  const std::vector<Json> queue = findings_of(stuck, "send_queue_stuck");
  ASSERT_EQ(queue.size(), 1u) << stuck.summary["findings"];
  EXPECT_EQ(queue[0]["fds"], Json({3}));

  // One look cannot tell either.
  for (pid_t pid : {writable->pid(), unsent->pid()}) {
    const Result once = run_seltool({"inspect", "--sample", "0", std::to_string(pid)});
    const Json summary = parse_lines(once.out).back();
    for (const Json& finding : summary["findings"]) {
      EXPECT_FALSE(one_of(finding["kind"], {"writable_watched", "send_queue_stuck"})) << finding;
    }
    EXPECT_FALSE(summary["threads"][0].contains("ran_during_sample"));
  }
  EXPECT_EQ(read_exact(unsent->near(3), 4096), std::string(4096, 'x'));
}

}  // namespace
}  // namespace seltool::testing
