// `seltool inspect --port` against real Python processes on loopback: the listener and both
// ends of a connection are found with their processes, each inspected; a process seltool may
// not look into (seltool running as nobody) is listed as such, never left out.
#include <unistd.h>

#include <algorithm>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

// A Python server on 127.0.0.1 (a free port) that accepts one connection, and a client
// connected to it; each waits for its stdin to end.
constexpr const char* kServer =
    "import socket, sys\n"
    "s = socket.socket()\n"
    "s.bind(('127.0.0.1', 0))\n"
    "s.listen()\n"
    "print(s.getsockname()[1], flush=True)\n"
    "c, _ = s.accept()\n"
    "print('accepted', flush=True)\n"
    "sys.stdin.read()\n";
constexpr const char* kClient =
    "import socket, sys\n"
    "c = socket.create_connection(('127.0.0.1', int(sys.argv[1])))\n"
    "print(c.getsockname()[1], flush=True)\n"
    "sys.stdin.read()\n";

struct Connection {
  Pipe server_stdin = make_pipe();
  Pipe client_stdin = make_pipe();
  std::unique_ptr<SeltoolProcess> server, client;
  int port = 0;
  int client_port = 0;

  Connection() {
    server = std::make_unique<SeltoolProcess>("/usr/bin/python3",
                                              std::vector<std::string>{"-c", kServer},
                                              passing({{0, server_stdin.read_end.get()}}));
    port = std::stoi(server->read_line().value_or("0"));
    client = std::make_unique<SeltoolProcess>(
        "/usr/bin/python3", std::vector<std::string>{"-c", kClient, std::to_string(port)},
        passing({{0, client_stdin.read_end.get()}}));
    client_port = std::stoi(client->read_line().value_or("0"));
    EXPECT_EQ(server->read_line(), "accepted");
  }
};

std::vector<Json> events_named(const std::vector<Json>& lines, const std::string& name) {
  std::vector<Json> found;
  std::copy_if(lines.begin(), lines.end(), std::back_inserter(found),
               [&](const Json& line) { return line["event"] == name; });
  return found;
}

// The `socket` line whose state and local address are these; fails the test when missing.
Json socket_line(const std::vector<Json>& lines, const std::string& state,
                 const std::string& local) {
  for (const Json& line : events_named(lines, "socket")) {
    if (line["state"] == state && line["local"] == local) return line;
  }
  ADD_FAILURE() << "no " << state << " socket at " << local;
  return Json::object();
}

TEST(InspectPort, FindsTheListenerAndBothEndsOfALoopbackConnection) {
  Connection connection;
  const std::string port = std::to_string(connection.port);
  const std::string client = "127.0.0.1:" + std::to_string(connection.client_port);
  const int server_pid = connection.server->pid(), client_pid = connection.client->pid();

  for (const std::string& argument : {port, "127.0.0.1:" + port, "localhost:" + port}) {
    const Result run = run_seltool({"inspect", "--port", argument});
    ASSERT_EQ(run.exit_code, 0) << argument << ": " << run.err;
    const std::vector<Json> lines = parse_lines(run.out);
    EXPECT_EQ(events_named(lines, "socket").size(), 3u) << run.out;

    const Json listener = socket_line(lines, "LISTEN", "127.0.0.1:" + port);
    EXPECT_EQ(listener["kind"], "tcp");
    ASSERT_EQ(listener["holders"].size(), 1u) << listener;
    EXPECT_EQ(listener["holders"][0]["pid"], server_pid);
    const Json accepted = socket_line(lines, "ESTABLISHED", "127.0.0.1:" + port);
    EXPECT_EQ(accepted["peer"], client);
    EXPECT_EQ(accepted["holders"][0]["pid"], server_pid);
    const Json connected = socket_line(lines, "ESTABLISHED", client);
    EXPECT_EQ(connected["peer"], "127.0.0.1:" + port);
    ASSERT_EQ(connected["holders"].size(), 1u) << connected;
    EXPECT_EQ(connected["holders"][0]["pid"], client_pid);

    // Each process inspected as `inspect PID` does: its descriptors (the connected socket with
    // the addresses the kernel's table gave), then its summary.
    for (const Json& end : {accepted, connected}) {
      const int pid = end["holders"][0]["pid"], fd = end["holders"][0]["fd"];
      const auto descriptor = std::find_if(lines.begin(), lines.end(), [&](const Json& line) {
        return line["event"] == "descriptor" && line["pid"] == pid && line["fd"] == fd;
      });
      ASSERT_NE(descriptor, lines.end()) << "no descriptor line of " << pid << ":" << fd;
      EXPECT_EQ((*descriptor)["kind"], "tcp");
      EXPECT_EQ((*descriptor)["local"], end["local"]);
      EXPECT_EQ((*descriptor)["peer"], end["peer"]);
    }
    const std::vector<Json> summaries = events_named(lines, "summary");
    ASSERT_EQ(summaries.size(), 2u) << run.out;
    EXPECT_EQ(summaries[0]["pid"], std::min(server_pid, client_pid));
    EXPECT_EQ(summaries[1]["pid"], std::max(server_pid, client_pid));
    const Json last = lines.back();
    EXPECT_EQ(last["event"], "port_summary");
    EXPECT_EQ(last["port"], connection.port);
    EXPECT_EQ(last["sockets"], 3);
    EXPECT_EQ(last["inspected"],
              Json({std::min(server_pid, client_pid), std::max(server_pid, client_pid)}));
    EXPECT_EQ(last["not_inspected"], Json::array());
  }

  // The text format: the sockets, then each process's table.
  const Result text = run_seltool({"inspect", "--port", port, "--format", "text"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("socket"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("state=LISTEN"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("process " + std::to_string(server_pid) + " (python3"), std::string::npos)
      << text.out;
  EXPECT_TRUE(terminal_safe(text.out));
}

TEST(InspectPort, NoSocketOnThePortIsANegativeAnswer) {
  const std::string port = std::to_string(free_tcp_port());
  const Result run = run_seltool({"inspect", "--port", "127.0.0.1:" + port});
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(run.err, "seltool: no TCP or UDP socket is bound or connected to 127.0.0.1:" + port +
                         " (in seltool's network namespace)\n");
  EXPECT_EQ(parse_lines(run.out).back()["sockets"], 0);
}

TEST(InspectPort, BadArgumentsAreUsageErrors) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"inspect", "--port", "0"},
        std::vector<std::string>{"inspect", "--port", "65536"},
        std::vector<std::string>{"inspect", "--port", "http"},
        std::vector<std::string>{"inspect", "--port", "80", "1"},
        std::vector<std::string>{"inspect"}}) {
    const Result run = run_seltool(args);
    EXPECT_EQ(run.exit_code, 2) << args.back() << ": " << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

TEST(InspectPort, ProcessesSeltoolMayNotInspectAreListedAsSuch) {
  if (::geteuid() != 0 || !can_become(65534)) {
    GTEST_SKIP() << "cannot run seltool as another user (nobody) here: needs root outside a "
                    "user namespace";
  }
  Connection connection;  // root's
  SpawnOptions as_nobody;
  as_nobody.user = 65534;
  const Result run = run_seltool({"inspect", "--port", std::to_string(connection.port)}, as_nobody);
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  EXPECT_NE(run.err.find("could not be inspected"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("CAP_SYS_PTRACE"), std::string::npos) << run.err;
  const std::vector<Json> lines = parse_lines(run.out);
  EXPECT_EQ(events_named(lines, "socket").size(), 3u) << "the kernel's table shows them to all";
  EXPECT_TRUE(events_named(lines, "descriptor").empty());
  for (const pid_t pid : {connection.server->pid(), connection.client->pid()}) {
    const std::vector<Json> hidden = events_named(lines, "not_inspected");
    const auto line = std::find_if(hidden.begin(), hidden.end(),
                                   [&](const Json& line) { return line["pid"] == pid; });
    ASSERT_NE(line, hidden.end()) << pid << " left out: " << run.out;
    EXPECT_EQ((*line)["comm"].get<std::string>().rfind("python3", 0), 0u) << *line;
    EXPECT_EQ((*line)["uid"], 0);
    EXPECT_EQ((*line)["error"]["code"], "EACCES");
  }
}

}  // namespace
}  // namespace seltool::testing
