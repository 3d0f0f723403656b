// `seltool inspect --watch PID` against a real Python server driven step by step: the
// descriptor it accepts, the data arriving and being read, and its exit each come as a line;
// the server still reads every byte sent to it.
#include <unistd.h>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// Listens on a free loopback port (printed), then obeys one stdin line at a time: "accept",
// "read" (prints what it read), "exit".
constexpr const char* kServer =
    "import socket, sys\n"
    "s = socket.socket()\n"
    "s.bind(('127.0.0.1', 0))\n"
    "s.listen()\n"
    "print(s.getsockname()[1], flush=True)\n"
    "for line in sys.stdin:\n"
    "    if line == 'accept\\n':\n"
    "        c, _ = s.accept()\n"
    "        print('accepted', c.fileno(), flush=True)\n"
    "    elif line == 'read\\n':\n"
    "        print(c.recv(100).decode(), flush=True)\n"
    "    else:\n"
    "        sys.exit(0)\n";

struct Server {
  Pipe commands = make_pipe();
  std::unique_ptr<SeltoolProcess> process;
  int port = 0;

  Server() {
    process = std::make_unique<SeltoolProcess>("/usr/bin/python3",
                                               std::vector<std::string>{"-c", kServer},
                                               passing({{0, commands.read_end.get()}}));
    port = std::stoi(process->read_line().value_or("0"));
  }
  void tell(const std::string& command) { write_all(commands.write_end.get(), command + "\n"); }
};

bool has_fields(const Json& line, const std::string& event, const Json& expected) {
  if (line["event"] != event) return false;
  for (const auto& [key, value] : expected.items()) {
    if (line[key] != value) return false;
  }
  return true;
}

// Reads lines until, for each wanted (event, fields), one with that event and those fields
// came, in any order (a change can show in two samples: the queue in one, readiness in the
// next); returns them in the order asked. Fails the test when one is missing after 10 s.
std::vector<Json> next_changes(SeltoolProcess& watch,
                               const std::vector<std::pair<std::string, Json>>& wanted) {
  std::vector<Json> found(wanted.size());
  std::size_t missing = wanted.size();
  while (missing > 0) {
    const std::optional<Json> line = watch.read_event();
    if (!line) break;
    for (std::size_t i = 0; i < wanted.size(); ++i) {
      if (found[i].is_null() && has_fields(*line, wanted[i].first, wanted[i].second)) {
        found[i] = *line;
        --missing;
        break;
      }
    }
  }
  for (std::size_t i = 0; i < wanted.size(); ++i) {
    if (found[i].is_null()) {
      ADD_FAILURE() << "no '" << wanted[i].first << "' line with " << wanted[i].second.dump();
      found[i] = Json::object();
    }
  }
  return found;
}

TEST(InspectWatch, ReportsADescriptorOpenedDataArrivingAndReadAndTheExit) {
  Server server;
  const int pid = server.process->pid();
  SeltoolProcess watch({"inspect", "--watch", "-i", "20ms", std::to_string(pid)});
  const std::optional<Json> start = watch.read_event();
  ASSERT_TRUE(start) << watch.rest_of_stderr();
  EXPECT_EQ((*start)["event"], "start");
  EXPECT_EQ((*start)["pid"], pid);
  EXPECT_EQ((*start)["comm"].get<std::string>().rfind("python3", 0), 0u) << *start;
  EXPECT_GE((*start)["descriptors"], 1);
  EXPECT_EQ((*start)["thread_count"], 1);

  UniqueFd client = connect_tcp(server.port);
  const std::string client_address = "127.0.0.1:" + std::to_string(local_port(client.get()));
  server.tell("accept");
  const std::string accepted = server.process->read_line().value_or("");
  ASSERT_EQ(accepted.rfind("accepted ", 0), 0u) << accepted;
  const int fd = std::stoi(accepted.substr(9));
  const std::string target = "pid:" + std::to_string(pid) + ":" + std::to_string(fd);
  const Json opened = next_changes(watch, {{"opened", {{"fd", fd}}}})[0];
  EXPECT_EQ(opened["target"], target);
  EXPECT_EQ(opened["kind"], "tcp");
  EXPECT_EQ(opened["peer"], client_address);

  write_all(client.get(), "hello");
  const std::vector<Json> arrived =
      next_changes(watch, {{"queue", {{"fd", fd}, {"queue", "unread"}}},
                           {"readiness", {{"fd", fd}, {"events", {"read", "write"}}}}});
  EXPECT_EQ(arrived[0]["change"], "grew");
  EXPECT_EQ(arrived[0]["size"], 5);
  EXPECT_EQ(arrived[0]["was_size"], 0);
  EXPECT_EQ(arrived[1]["was_events"], Json({"write"}));

  server.tell("read");
  EXPECT_EQ(server.process->read_line(), "hello") << "the server must get every byte";
  const std::vector<Json> read =
      next_changes(watch, {{"queue", {{"fd", fd}, {"queue", "unread"}}},
                           {"readiness", {{"fd", fd}, {"events", {"write"}}}}});
  EXPECT_EQ(read[0]["change"], "shrank");
  EXPECT_EQ(read[0]["size"], 0);
  EXPECT_EQ(read[1]["was_events"], Json({"read", "write"}));

  server.tell("exit");
  const Json summary = next_changes(watch, {{"summary", {{"reason", "exited"}}}})[0];
  EXPECT_EQ(summary["pid"], pid);
  EXPECT_GE(summary["changes"], 5);
  EXPECT_EQ(watch.read_line(), std::nullopt) << "the summary is the last line";
  EXPECT_EQ(watch.wait_exit(), 0) << watch.rest_of_stderr();
  EXPECT_EQ(server.process->wait_exit(), 0);
}

TEST(InspectWatch, TheTimeoutEndsItWith124AndTextIsOneAlignedLinePerChange) {
  Server server;
  const std::string pid = std::to_string(server.process->pid());
  SeltoolProcess watch({"inspect", "--watch", "-i", "20ms", "-t", "3s", "--format", "text", pid});
  const std::optional<std::string> start = watch.read_line();
  ASSERT_TRUE(start) << watch.rest_of_stderr();
  EXPECT_NE(start->find("start"), std::string::npos) << *start;
  UniqueFd client = connect_tcp(server.port);
  server.tell("accept");
  ASSERT_EQ(server.process->read_line().value_or("").rfind("accepted ", 0), 0u);
  std::string opened;
  while (std::optional<std::string> line = watch.read_line()) {
    if (line->find("opened") != std::string::npos) {
      opened = *line;
      break;
    }
  }
  // "   0.123456  opened          pid:PID:FD              pid=... kind=tcp ..."
  EXPECT_EQ(opened.find("opened"), 12u) << opened;
  EXPECT_EQ(opened.find("pid:" + pid + ":"), 28u) << opened;
  EXPECT_NE(opened.find("kind=tcp"), std::string::npos) << opened;
  const std::string rest = watch.rest_of_stdout();
  EXPECT_NE(rest.find("summary"), std::string::npos) << rest;
  EXPECT_NE(rest.find("reason=timeout"), std::string::npos) << rest;
  EXPECT_EQ(watch.wait_exit(), 124);
}

TEST(InspectWatch, BadArgumentsAreUsageErrors) {
  Server server;
  const std::string pid = std::to_string(server.process->pid());
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"inspect", "--watch"},
        std::vector<std::string>{"inspect", "--watch", "-i", "0", pid},
        std::vector<std::string>{"inspect", "--watch", pid, "3"},
        std::vector<std::string>{"inspect", "--watch", "--port", "80"}}) {
    const Result run = run_seltool(args);
    EXPECT_EQ(run.exit_code, 2) << args.back() << ": " << run.err;
    EXPECT_EQ(run.out, "");
  }
}

}  // namespace
}  // namespace seltool::testing
