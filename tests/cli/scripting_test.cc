// seltool as script authors use the tools it replaces (wait-for-it, dockerize, wait4x, tail -F):
// files and /dev/null as stdin, FIFOs across writers, bare paths, URL forms, connect timeouts.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

class Scripting : public ::testing::TestWithParam<std::string> {
 protected:
  std::vector<std::string> with_backend(std::vector<std::string> args) const {
    args.insert(args.begin() + 1, {"-s", GetParam()});
    return args;
  }
};

UniqueFd open_file(const std::string& path, int flags = O_RDONLY) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0644));
  EXPECT_TRUE(fd) << path;
  return fd;
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

// The lines without their timestamps, for comparing runs.
std::vector<Json> without_time(std::vector<Json> lines) {
  for (Json& line : lines) {
    line.erase("t");
    line.erase("ts");
  }
  return lines;
}

// `seltool watch --data - < file.txt`: regular files are always ready (POSIX); epoll refuses
// them, so seltool asks the library to report them as select and poll do.
TEST_P(Scripting, RegularFileOnStdinIsReadThenEndsOnEveryBackend) {
  TempDir dir;
  write_file(dir.file("input.txt"), "hello\n");
  UniqueFd file = open_file(dir.file("input.txt"));
  const Result result =
      run_seltool(with_backend({"watch", "--data", "-"}), passing({{0, file.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 4u) << result.out;
  EXPECT_EQ(lines[1]["events"], Json({"read"}));
  EXPECT_EQ(lines[1]["data"], "hello\n");
  EXPECT_EQ(lines[2]["events"], Json({"read", "hup"}));
  EXPECT_EQ(lines[3]["reason"], "closed");
}

// A regular file at its end is ready at once (a read gives 0), also where the backend never
// says so: a BSD's or macOS's kqueue reports a file readable only while its offset is before
// its end (FreeBSD's filt_vfsread()), which --config=kqueue_emulated models.
TEST_P(Scripting, EmptyFileOnStdinEndsAtOnceWithOneHup) {
  TempDir dir;
  write_file(dir.file("empty.txt"), "");
  UniqueFd file = open_file(dir.file("empty.txt"));
  const Result result =
      run_seltool(with_backend({"watch", "--data", "-t", "5", "-"}), passing({{0, file.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["events"], Json({"read", "hup"}));
  EXPECT_EQ(lines[1]["bytes"], 0);
  EXPECT_EQ(lines[2]["reason"], "closed");
}

TEST_P(Scripting, WaitForAFileReadToItsEndIsReadyAtOnce) {
  TempDir dir;
  write_file(dir.file("read.txt"), "abc");
  UniqueFd file = open_file(dir.file("read.txt"));
  ASSERT_EQ(::lseek(file.get(), 0, SEEK_END), 3);
  const Result result =
      run_seltool(with_backend({"wait", "-t", "5", "-"}), passing({{0, file.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["event"], "ready");
  EXPECT_EQ(lines[1]["bytes"], 0);
}

// Stdin under cron and CI.
TEST_P(Scripting, DevNullOnStdinEndsAtOnceWithOneHup) {
  UniqueFd null = open_file("/dev/null");
  const Result result =
      run_seltool(with_backend({"watch", "--data", "-"}), passing({{0, null.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["events"], Json({"read", "hup"}));
  EXPECT_EQ(lines[1]["bytes"], 0);
}

TEST_P(Scripting, WaitForARegularFileByBareNameIsReadyAtOnce) {
  TempDir dir;
  write_file(dir.file("file.txt"), "x");
  SpawnOptions in_dir;
  in_dir.cwd = dir.file("");
  const Result result = run_seltool(with_backend({"wait", "-t", "5", "file.txt"}), in_dir);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["event"], "ready");
  EXPECT_EQ(lines[1]["target"], "file.txt");
  EXPECT_EQ(lines[1]["bytes"], 1);
}

TEST(ScriptingFiles, EveryBackendReportsAFileTheSame) {
  TempDir dir;
  write_file(dir.file("input.txt"), "abc");
  std::vector<std::vector<Json>> runs;
  for (const std::string& backend : kBackends) {
    UniqueFd file = open_file(dir.file("input.txt"));
    const Result result =
        run_seltool({"watch", "-s", backend, "--consume", "-"}, passing({{0, file.get()}}));
    ASSERT_EQ(result.exit_code, 0) << backend << ": " << result.err;
    std::vector<Json> lines = without_time(parse_lines(result.out));
    ASSERT_FALSE(lines.empty());
    lines.front().erase("selector");
    runs.push_back(std::move(lines));
  }
  for (std::size_t i = 1; i < runs.size(); ++i) EXPECT_EQ(runs[0], runs[i]) << kBackends[i];
}

TEST(ScriptingPaths, ADirectoryIsAUsageErrorThatSaysSo) {
  TempDir dir;
  const Result result = run_seltool({"watch", dir.file("")});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("is a directory"), std::string::npos) << result.err;
}

TEST(ScriptingPaths, AnExistingNameNeedsNoDotSlash) {
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("app.fifo").c_str(), 0600), 0);
  SpawnOptions in_dir;
  in_dir.cwd = dir.file("");
  SeltoolProcess seltool({"watch", "--data", "-n", "1", "app.fifo"}, in_dir);
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start) << seltool.rest_of_stderr(1s);
  EXPECT_EQ((*start)["targets"][0]["target"], "app.fifo");
  UniqueFd writer = open_file(dir.file("app.fifo"), O_WRONLY);
  write_all(writer.get(), "hi");
  const std::optional<Json> ready = seltool.read_event();
  ASSERT_TRUE(ready);
  EXPECT_EQ((*ready)["data"], "hi");
  EXPECT_EQ(seltool.wait_exit(), 0);
}

// A word that is both HOST:PORT and a file in the current directory is HOST:PORT, so that a
// script's `wait db:5432` never depends on where it runs.
TEST(ScriptingPaths, HostPortWinsOverAFileOfThatName) {
  TempDir dir;
  const std::string target = "127.0.0.1:" + std::to_string(free_tcp_port());
  write_file(dir.file(target), "");
  SpawnOptions in_dir;
  in_dir.cwd = dir.file("");
  const Result result = run_seltool({"wait", "-t", "300ms", "-i", "100ms", target}, in_dir);
  EXPECT_EQ(result.exit_code, 124) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_GE(lines.size(), 2u) << result.out;
  EXPECT_EQ(lines[1]["event"], "attempt_failed");
  EXPECT_EQ(lines[1]["error"]["code"], "ECONNREFUSED");
}

TEST(ScriptingPaths, AMissingBareNameSaysNoSuchFileAndNotHostPort) {
  TempDir dir;
  SpawnOptions in_dir;
  in_dir.cwd = dir.file("");
  const Result result = run_seltool({"watch", "nothing-here"}, in_dir);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("no such file, and not HOST:PORT"), std::string::npos) << result.err;
}

// `tail -F`: a FIFO keeps being watched across writers; each writer's end is reported.
TEST_P(Scripting, FifoIsWatchedAcrossWritersInTurn) {
  TempDir dir;
  const std::string fifo = dir.file("f");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SeltoolProcess seltool(with_backend({"watch", "--data", fifo}));
  ASSERT_TRUE(seltool.read_event());
  for (const std::string text : {"one", "two"}) {
    {
      UniqueFd writer = open_file(fifo, O_WRONLY);
      write_all(writer.get(), text);
      const std::optional<Json> data = seltool.read_event();
      ASSERT_TRUE(data);
      EXPECT_EQ((*data)["data"], text);
    }  // the writer closes
    const std::optional<Json> end = seltool.read_event();
    ASSERT_TRUE(end);
    EXPECT_EQ((*end)["events"], Json({"read", "hup"})) << end->dump();
  }
  EXPECT_TRUE(seltool.quiet_for(300ms)) << "waiting for a third writer, without spinning";
  seltool.signal(SIGTERM);
  const std::optional<Json> summary = seltool.read_event();
  ASSERT_TRUE(summary);
  EXPECT_EQ((*summary)["reason"], "signal");
  EXPECT_EQ(seltool.wait_exit(), 0);
  EXPECT_LT(seltool.cpu_seconds(), 0.5) << "waiting for the next writer must not spin";
}

TEST_P(Scripting, NoReopenEndsAFifoAtItsFirstEnd) {
  TempDir dir;
  const std::string fifo = dir.file("f");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  SeltoolProcess seltool(with_backend({"watch", "--data", "--no-reopen", fifo}));
  ASSERT_TRUE(seltool.read_event());
  {
    UniqueFd writer = open_file(fifo, O_WRONLY);
    write_all(writer.get(), "one");
  }
  EXPECT_EQ(seltool.wait_exit(), 0);
  const std::vector<Json> lines = parse_lines(seltool.rest_of_stdout());
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["reason"], "closed");
}

TEST(ScriptingUrls, TcpAndUnixUrlsMeanWhatTheySay) {
  UniqueFd listener = listen_tcp(0);
  const std::string tcp = "tcp://127.0.0.1:" + std::to_string(local_port(listener.get()));
  Result result = run_seltool({"wait", "-t", "5", tcp});
  EXPECT_EQ(result.exit_code, 0) << result.err;

  TempDir dir;
  const std::string path = dir.file("app.sock");
  UniqueFd unix_listener = listen_unix(path);
  result = run_seltool({"wait", "-t", "5", "unix://" + path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result.out;
  EXPECT_EQ(lines[1]["peer"], "unix:" + path);
}

TEST(ScriptingUrls, AnUnsupportedSchemeIsAUsageErrorNamingIt) {
  const Result result = run_seltool({"wait", "ftp://127.0.0.1:21"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("'ftp://'"), std::string::npos) << result.err;
}

TEST(ScriptingUrls, PortZeroCannotBeConnectedTo) {
  for (const std::string target : {"127.0.0.1:0", "tcp:127.0.0.1:0", "tcp://127.0.0.1:0"}) {
    const Result result = run_seltool({"wait", "-t", "5", target});
    EXPECT_EQ(result.exit_code, 2) << target;
    EXPECT_NE(result.err.find("port 0"), std::string::npos) << result.err;
  }
}

TEST(ScriptingListen, TcpListenPortAloneBindsLoopback) {
  SeltoolProcess seltool({"watch", "tcp-listen:0"});
  const std::optional<Json> start = seltool.read_event();
  ASSERT_TRUE(start);
  const std::string local = (*start)["targets"][0]["local"];
  EXPECT_EQ(local.rfind("127.0.0.1:", 0), 0u) << local;
}

// A listener whose accept queue is full drops SYNs: without --connect-timeout one attempt
// would take the whole -t budget.
TEST(ScriptingConnect, ConnectTimeoutBoundsEachAttempt) {
  const FullListener full = listen_tcp_full_queue();
  const int port = full.port;
  const Result result = run_seltool({"wait", "-t", "3", "-i", "50ms", "--connect-timeout", "200ms",
                                     "127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(result.exit_code, 124) << result.err;
  int timed_out = 0;
  for (const Json& line : parse_lines(result.out)) {
    if (line["event"] == "attempt_failed" && line["error"]["code"] == "ETIMEDOUT") ++timed_out;
  }
  EXPECT_GE(timed_out, 2) << result.out;
}

TEST(ScriptingConnect, ConnectTimeoutMustBePositive) {
  const Result result = run_seltool({"wait", "--connect-timeout", "0", "127.0.0.1:1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("--connect-timeout"), std::string::npos) << result.err;
}

INSTANTIATE_TEST_SUITE_P(LinuxBackends, Scripting, ::testing::ValuesIn(kBackends),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing

namespace seltool::testing {
namespace {

// The text format says what the JSON says, one aligned line per event.
TEST(ScriptingOutput, TextFormatIsOneAlignedLinePerEvent) {
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "hi\n");
  pipe.write_end.reset();
  const Result result = run_seltool({"watch", "--format", "text", "--data", "3"},
                                    passing({{3, pipe.read_end.get()}}));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines;
  std::istringstream out(result.out);
  for (std::string line; std::getline(out, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << result.out;
  // "%10.6f" seconds, two spaces, the event in 16 columns, the target in 23, then the fields.
  const std::string& ready = lines[1];
  ASSERT_GT(ready.size(), 12u) << ready;
  EXPECT_GT(std::stod(ready.substr(0, 10)), 0.0) << ready;
  EXPECT_EQ(ready.substr(10),
            "  ready           3                      fd=3 read bytes=3 data='hi\\n' "
            "encoding=utf-8");
  EXPECT_NE(lines[2].find("read,hup bytes=0"), std::string::npos) << lines[2];
  EXPECT_NE(lines[3].find("summary         reason=closed ready_events=2"), std::string::npos)
      << lines[3];
  EXPECT_EQ(result.out.find('{'), std::string::npos) << "no JSON in text mode";
}

// Issue 20, item 2: a C1 control (U+009B, a terminal's one-byte CSI) in a target is escaped
// in --format text as in JSON and diagnostics; the value is quoted, since it was changed.
TEST(ScriptingOutput, TextFormatEscapesC1Controls) {
  const TempDir dir;
  const std::string path = dir.file(
      "a\xc2\x9b"
      "2Jb");
  write_all(UniqueFd(::creat(path.c_str(), 0600)).get(), "x");
  const Result result = run_seltool({"watch", "--format", "text", "--once", path});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(terminal_safe(result.out)) << result.out;
  EXPECT_NE(result.out.find("'" + dir.file("a\\u009B2Jb'")), std::string::npos) << result.out;
}

TEST(ScriptingOutput, AnUnknownFormatIsAUsageError) {
  const Result result = run_seltool({"watch", "--format", "yaml", "-"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "");
}

// "é" is two bytes; the first read ends between them. Both lines stay text.
TEST(ScriptingData, ACharacterSplitAcrossReadsStaysText) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool({"watch", "--data", "3"}, passing({{3, pipe.read_end.get()}}));
  ASSERT_TRUE(seltool.read_event());
  write_all(pipe.write_end.get(), "caf\xC3");
  const std::optional<Json> first = seltool.read_event();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["data"], "caf");
  EXPECT_EQ((*first)["encoding"], "utf-8");
  EXPECT_EQ((*first)["bytes"], 4) << "bytes counts what was read";
  write_all(pipe.write_end.get(), "\xA9!");
  const std::optional<Json> second = seltool.read_event();
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)["data"], "\xC3\xA9!");
  EXPECT_EQ((*second)["encoding"], "utf-8");
}

TEST(ScriptingData, BytesThatAreNotUtf8SwitchOnlyTheirLineToBase64) {
  Pipe pipe = make_pipe();
  SeltoolProcess seltool({"watch", "--data", "3"}, passing({{3, pipe.read_end.get()}}));
  ASSERT_TRUE(seltool.read_event());
  write_all(pipe.write_end.get(), "\xFF\xFE");
  const std::optional<Json> binary = seltool.read_event();
  ASSERT_TRUE(binary);
  EXPECT_EQ((*binary)["encoding"], "base64");
  EXPECT_EQ((*binary)["data"], "//4=");
  write_all(pipe.write_end.get(), "text");
  const std::optional<Json> text = seltool.read_event();
  ASSERT_TRUE(text);
  EXPECT_EQ((*text)["encoding"], "utf-8");
}

// A cut character that never completes is written as it is at the end of the stream.
TEST(ScriptingData, AnUnfinishedCharacterIsWrittenAtTheEnd) {
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "ok\xE2\x82");
  pipe.write_end.reset();
  const Result result = run_seltool({"watch", "--data", "3"}, passing({{3, pipe.read_end.get()}}));
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_EQ(lines.size(), 4u) << result.out;
  EXPECT_EQ(lines[1]["data"], "ok");
  EXPECT_EQ(lines[2]["events"], Json({"read", "hup"}));
  EXPECT_EQ(lines[2]["data"], "4oI=");
  EXPECT_EQ(lines[2]["encoding"], "base64");
}

TEST(ScriptingData, EncodingForcesOneEncodingForTheWholeRun) {
  Pipe pipe = make_pipe();
  write_all(pipe.write_end.get(), "hi");
  pipe.write_end.reset();
  const Result result = run_seltool({"watch", "--data", "--encoding", "base64", "3"},
                                    passing({{3, pipe.read_end.get()}}));
  const std::vector<Json> lines = parse_lines(result.out);
  ASSERT_GE(lines.size(), 2u) << result.out;
  EXPECT_EQ(lines[1]["data"], "aGk=");
  EXPECT_EQ(lines[1]["encoding"], "base64");
}

}  // namespace
}  // namespace seltool::testing
