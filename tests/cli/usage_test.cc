// Bad input: every case exits 2 with one line on stderr naming the bad argument, and nothing
// on stdout.
#include "gtest/gtest.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

struct BadInput {
  std::vector<std::string> args;
  std::string named;  // what the message must mention
  std::map<std::string, std::string> env = {};
};

void expect_usage_error(const BadInput& input, const Result& result) {
  std::string command;
  for (const std::string& arg : input.args) command += " " + arg;
  SCOPED_TRACE("seltool" + command);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err.rfind("seltool: ", 0), 0u) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find(input.named), std::string::npos) << result.err;
}

class Usage : public ::testing::TestWithParam<BadInput> {};

TEST_P(Usage, ExitsTwoWithOneLineNamingTheArgument) {
  const BadInput& input = GetParam();
  expect_usage_error(input, run_seltool(input.args, with_env(input.env)));
}

INSTANTIATE_TEST_SUITE_P(
    BadInputs, Usage,
    ::testing::Values(
        BadInput{{}, "missing command"}, BadInput{{"frobnicate"}, "'frobnicate'"},
        BadInput{{"--bogus"}, "'--bogus'"}, BadInput{{"watch", "--bogus", "0"}, "--bogus"},
        BadInput{{"watch"}, "TARGET"}, BadInput{{"wait"}, "TARGET"},
        BadInput{{"watch", "nonsense"}, "'nonsense'"},
        BadInput{{"watch", "127.0.0.1:99999"}, "'127.0.0.1:99999'"},
        BadInput{{"wait", "tcp:localhost:http"}, "'tcp:localhost:http'"},
        BadInput{{"wait", "http://127.0.0.1:0/health"}, "port 0"},
        BadInput{{"wait", "https://user@[::1]:000"}, "port 0"},
        BadInput{{"watch", "[::1:80"}, "'[::1:80'"}, BadInput{{"watch", "::1:80"}, "brackets"},
        BadInput{{"watch", "fd:x"}, "'fd:x'"}, BadInput{{"watch", "99999999999"}, "99999999999"},
        BadInput{{"watch", "77"}, "descriptor 77 is not open"},
        // Inherited descriptors are checked before seltool opens anything: "3" was taken for
        // the file seltool had just opened as 3 ("already given by another target").
        BadInput{{"watch", "/dev/null", "3"}, "descriptor 3 is not open"},
        BadInput{{"wait", "tcp-listen:127.0.0.1:0", "3"}, "descriptor 3 is not open"},
        BadInput{{"watch", "0", "stdin"}, "'stdin'"},
        BadInput{{"watch", "/nonexistent/fifo"}, "'/nonexistent/fifo'"},
        BadInput{{"watch", "file:"}, "'file:'"},
        BadInput{{"watch", "unix:" + std::string(200, 'a')}, "Unix socket path"},
        BadInput{{"watch", "-t", "abc", "0"}, "'abc' for --timeout"},
        BadInput{{"wait", "-t", "-1", "0"}, "'-1' for --timeout"},
        BadInput{{"wait", "-t", "1x", "0"}, "'1x' for --timeout"},
        BadInput{{"wait", "-t", "nan", "0"}, "'nan' for --timeout"},
        BadInput{{"wait", "-i", "soon", "0"}, "'soon' for --interval"},
        BadInput{{"wait", "-i", "0", "0"}, "--interval"},
        BadInput{{"watch", "-e", "readwrite", "0"}, "'readwrite'"},
        BadInput{{"watch", "-n", "0", "0"}, "--count"},
        BadInput{{"watch", "-s", "foo", "0"}, "'foo'"},
        BadInput{{"watch", "-s", "devpoll", "0"}, "'devpoll'"},
        BadInput{{"watch", "0"}, "'bogus'", {{"SELTOOL_SELECTOR", "bogus"}}},
        BadInput{{"watch", "0", "--", "ls"}, "'-- COMMAND'"},
        BadInput{{"wait", "0", "--"}, "COMMAND"}, BadInput{{"selectors", "extra"}, "extra"}));

TEST(UsageErrors, SelectorErrorListsTheUsableBackends) {
  const Result result = run_seltool({"wait", "-s", "devpoll", "0"});
  EXPECT_EQ(result.exit_code, 2);
  for (const std::string& name : kBackends) {
    EXPECT_NE(result.err.find(name), std::string::npos) << result.err;
  }
}

TEST(UsageErrors, PortInUseForTcpListen) {
  UniqueFd listener = listen_tcp(0);
  const std::string target = "tcp-listen:127.0.0.1:" + std::to_string(local_port(listener.get()));
  const BadInput input{{"watch", target}, "Address already in use"};
  expect_usage_error(input, run_seltool(input.args));
}

TEST(UsageErrors, WriteInterestOnAReadOnlyDescriptor) {
  Pipe pipe = make_pipe();
  const BadInput input{{"wait", "-e", "write", "3"}, "read-only"};
  expect_usage_error(input, run_seltool(input.args, passing({{3, pipe.read_end.get()}})));
}

// A timeout too small for a double (hundreds of zeros) is the shortest wait, not 0 ("no
// limit"): wait gives up at once.
TEST(Timeouts, AnUnderflowingTimeoutIsTheShortestWait) {
  UniqueFd listener = listen_tcp(0);  // never accepted: a wait for data on it never ends
  const std::string tiny = "0." + std::string(400, '0') + "1";
  const Result run = run_seltool({"wait", "-q", "-e", "read", "-t", tiny,
                                  "127.0.0.1:" + std::to_string(local_port(listener.get()))},
                                 {}, 10s);
  EXPECT_EQ(run.exit_code, 124) << run.err;
}

// Running out of descriptors while creating the selector is seltool's own failure (125, one
// line naming the errno), not a usage error: the user chose nothing wrong.
TEST(ResourceExhaustion, NoDescriptorForTheSelectorIsExit125) {
  if (loads_sanitizer_runtime(seltool_path())) {
    GTEST_SKIP() << "a sanitizer's runtime needs descriptors of its own (UBSan's vptr check "
                    "opens a pipe), which a limit of 4 does not leave";
  }
  SpawnOptions options;
  options.max_open_files = 4;  // 0-2 and one more: a backend of two descriptors cannot start
  std::vector<std::string> names = kBackends;
  names.push_back("default");
  for (const std::string& name : names) {
    // A backend of one descriptor starts, then the target's socket fails the same way.
    const Result run = run_seltool({"wait", "-q", "-s", name, "-t", "1", "127.0.0.1:1"}, options);
    SCOPED_TRACE(name);
    EXPECT_EQ(run.exit_code, 125) << run.err;
    EXPECT_NE(run.err.find("Too many open files"), std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("usable here"), std::string::npos) << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << run.err;
  }
}

}  // namespace
}  // namespace seltool::testing
