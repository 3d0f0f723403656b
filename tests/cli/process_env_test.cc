// The process-environment suite: every command (selectors, watch, wait, echo) run the way a
// hostile environment runs it, through the real binary. Stdout closed, /dev/full, a reader that
// goes away (SIGPIPE default and ignored) or stalls and resumes, standard descriptors closed
// at start, SIGHUP/SIGINT/SIGTERM/SIGPIPE at seeded random moments during traffic, and the
// descriptors an exec'd `wait -- COMMAND` gets. Every run checks the exit code, the last line,
// the CPU time used (no spin; bounds generous for a loaded 2-core machine), and that the files
// seltool created are gone. The rules checked are those of docs/cli.md (stdout errors, signals,
// created files).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <thread>

#include "tests/support/clients.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"
#include "tests/support/seltool_process.h"

namespace seltool::testing {
namespace {

constexpr int kExitInternal = 125;
constexpr int kExitBySigpipe = 128 + SIGPIPE;
const std::vector<std::string> kCommands = {"selectors", "watch", "wait", "echo"};
const std::vector<std::string> kRunningCommands = {"watch", "wait", "echo"};

// A command under test, with what it needs to write more lines ("traffic").
struct Subject {
  std::string command;
  std::vector<std::string> args;
  std::map<int, int> passed;       // descriptors given to seltool (child number -> ours)
  std::vector<std::string> files;  // the files seltool creates
  std::function<void()> traffic;   // one round that makes seltool write at least one line
  std::string last_event;          // the last line after SIGINT/SIGTERM/SIGHUP ("": any)
  int exit_on_stop_signal = 0;     // 0, or -1: dies of the signal (128 + its number)
  std::shared_ptr<Pipe> input;     // watch: what its --data target reads
};

// watch --data on a pipe fed 64 KiB chunks (each line is larger than stdio's buffer) and a
// unix-listen target; wait retrying a refused connect every 20 ms next to a unix-listen
// target; echo on a unix socket with one client per round.
Subject make_subject(const std::string& command, const TempDir& dir) {
  Subject subject;
  subject.command = command;
  if (command == "selectors") {
    subject.args = {"selectors"};
    subject.traffic = [] {};
  } else if (command == "watch") {
    subject.input = std::make_shared<Pipe>(make_pipe());
    set_nonblocking(subject.input->write_end.get());
    subject.files = {dir.file("watch.sock")};
    subject.args = {"watch", "--data", "3", "unix-listen:" + subject.files[0]};
    subject.passed = {{3, subject.input->read_end.get()}};
    const int writer = subject.input->write_end.get();
    subject.traffic = [writer, chunk = random_bytes(64 << 10, 3)] {
      (void)!::write(writer, chunk.data(), chunk.size());  // full pipe: the next round
      std::this_thread::sleep_for(10ms);  // a rate, not a wait: 64 KiB per 10 ms at most
    };
    subject.last_event = "summary";
  } else if (command == "wait") {
    subject.files = {dir.file("wait.sock")};
    subject.args = {"wait",
                    "-t",
                    "0",
                    "-i",
                    "20ms",
                    "unix-listen:" + subject.files[0],
                    "127.0.0.1:" + std::to_string(free_tcp_port())};
    subject.traffic = [] { std::this_thread::sleep_for(20ms); };  // one retry (-i 20ms) a round
    subject.exit_on_stop_signal = -1;
  } else {
    subject.files = {dir.file("echo.sock")};
    subject.args = {"echo", "--listen", "unix:" + subject.files[0], "--drain-timeout", "2s"};
    subject.traffic = [path = subject.files[0]] {
      try {
        UniqueFd client = connect_unix(path);
        write_all(client.get(), "x");
        read_exact(client.get(), 1, 2s);
      } catch (const std::exception&) {
        std::this_thread::sleep_for(10ms);  // a rate: not listening yet, or already stopped
      }
    };
    subject.last_event = "stopped";
  }
  return subject;
}

SpawnOptions options_for(const Subject& subject) { return passing(subject.passed); }

// Runs traffic until seltool exits (at most `limit`); its exit code or -1.
int traffic_until_exit(SeltoolProcess& process, const Subject& subject,
                       std::chrono::milliseconds limit = 10s) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (auto code = process.wait_exit(0ms)) return *code;
    subject.traffic();
  }
  return process.wait_exit(0ms).value_or(-1);
}

// Reads stdout while traffic runs, until `period` passed.
void traffic_for(SeltoolProcess& process, const Subject& subject,
                 std::chrono::milliseconds period) {
  const auto until = Clock::now() + period;
  while (Clock::now() < until && process.running()) {
    subject.traffic();
    while (process.read_line(1ms)) {
    }
  }
}

void expect_files_removed(const Subject& subject) {
  for (const std::string& file : subject.files) {
    EXPECT_FALSE(exists(file)) << subject.command << ": " << file << " left behind";
  }
}

// Every complete line of `out` is JSON; returns the last one (null when there is none).
Json last_complete_line(const std::string& out) {
  const std::size_t end = out.rfind('\n');
  if (end == std::string::npos) return nullptr;
  const std::vector<Json> lines = parse_lines(out.substr(0, end + 1));
  return lines.empty() ? Json(nullptr) : lines.back();
}

// ---- Stdout that cannot be written ----

// /dev/full: ENOSPC on the first line; one message, exit 125, files removed.
TEST(ProcessEnv, StdoutOnDevFullEndsWith125AndOneMessage) {
  for (const std::string& command : kCommands) {
    const TempDir dir;
    Subject subject = make_subject(command, dir);
    UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(full);
    SpawnOptions options = options_for(subject);
    options.descriptors[1] = full.get();
    const Result result = run_seltool(subject.args, options, 10s);
    EXPECT_EQ(result.exit_code, kExitInternal) << command;
    EXPECT_EQ(result.err, "seltool: cannot write events to stdout: No space left on device\n")
        << command;
    expect_files_removed(subject);
  }
}

// Every output path reports a failed write, not only the event lines: --help, --version, help
// and inspect's text table once exited 0 on /dev/full (issue 20, item 12).
TEST(ProcessEnv, EveryOutputOnDevFullEndsWith125) {
  const std::string self = std::to_string(::getpid());
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--help"},
                                               {"--version"},
                                               {"watch", "--help"},
                                               {"help"},
                                               {"inspect", "--format", "text", self},
                                               {"inspect", self}}) {
    const std::string label = args[0] + " " + args.back();
    if (args[0] == "inspect" && run_seltool(args).exit_code != 0) continue;  // not on this OS
    UniqueFd full(::open("/dev/full", O_WRONLY | O_CLOEXEC));
    ASSERT_TRUE(full);
    const Result result = run_seltool(args, passing({{1, full.get()}}), 10s);
    EXPECT_EQ(result.exit_code, kExitInternal) << label;
    EXPECT_EQ(result.err, "seltool: cannot write events to stdout: No space left on device\n")
        << label;
  }
}

// The reader went away before seltool wrote anything: with SIGPIPE at its default seltool
// ends by it (141) after removing its files, silently; with SIGPIPE ignored, 125 and a message.
TEST(ProcessEnv, StdoutReaderGoneBeforeStart) {
  for (const bool ignored : {false, true}) {
    for (const std::string& command : kCommands) {
      const TempDir dir;
      Subject subject = make_subject(command, dir);
      Pipe out = make_pipe();
      out.read_end.reset();
      SpawnOptions options = options_for(subject);
      options.descriptors[1] = out.write_end.get();
      if (ignored) options.ignored_signals = {SIGPIPE};
      const Result result = run_seltool(subject.args, options, 10s);
      const std::string label = command + (ignored ? " (SIGPIPE ignored)" : "");
      if (ignored) {
        EXPECT_EQ(result.exit_code, kExitInternal) << label;
        EXPECT_EQ(result.err, "seltool: cannot write events to stdout: Broken pipe\n") << label;
      } else {
        EXPECT_EQ(result.exit_code, kExitBySigpipe) << label;
        EXPECT_EQ(result.err, "") << label;
      }
      expect_files_removed(subject);
    }
  }
}

// The reader exits during traffic (`seltool ... | head -1`). watch's lines are larger than
// stdio's buffer: the write error of such a line was once ignored, and watch went on
// consuming its input at full speed with nowhere to write (issue 12, break 1).
TEST(ProcessEnv, StdoutReaderExitsDuringTraffic) {
  for (const bool ignored : {false, true}) {
    for (const std::string& command : kRunningCommands) {
      const TempDir dir;
      Subject subject = make_subject(command, dir);
      SpawnOptions options = options_for(subject);
      if (ignored) options.ignored_signals = {SIGPIPE};
      SeltoolProcess process(subject.args, options);
      ASSERT_TRUE(process.read_line(20s)) << command;  // the first line, as `head -1` reads it
      process.close_stdout();
      const auto started = Clock::now();
      const int code = traffic_until_exit(process, subject);
      const std::string label = command + (ignored ? " (SIGPIPE ignored)" : "");
      EXPECT_EQ(code, ignored ? kExitInternal : kExitBySigpipe) << label;
      const std::string err = process.rest_of_stderr(2s);
      if (ignored) {
        EXPECT_EQ(err, "seltool: cannot write events to stdout: Broken pipe\n") << label;
      } else {
        EXPECT_EQ(err, "") << label;
      }
      EXPECT_LT(process.cpu_seconds(), 0.6 * seconds_since(started) + 0.5) << label;
      expect_files_removed(subject);
    }
  }
}

// A file size limit (`ulimit -f`) reached on stdout is a write error like any other (EFBIG:
// exit 125, one line, files removed), not death by SIGXFSZ (issue 20, item 7).
TEST(ProcessEnv, StdoutPastTheFileSizeLimitEndsWith125) {
  for (const std::string& command : kRunningCommands) {
    const TempDir dir;
    Subject subject = make_subject(command, dir);
    UniqueFd file(::open(dir.file("out").c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(file);
    SpawnOptions options = options_for(subject);
    options.descriptors[1] = file.get();
    std::vector<std::string> args = {"-c", "ulimit -f 1 && exec \"$0\" \"$@\"", seltool_path()};
    args.insert(args.end(), subject.args.begin(), subject.args.end());
    SeltoolProcess process("/bin/sh", args, options);
    const int code = traffic_until_exit(process, subject, 20s);
    EXPECT_EQ(code, kExitInternal) << command;
    EXPECT_EQ(process.rest_of_stderr(2s),
              "seltool: cannot write events to stdout: File too large\n")
        << command;
    expect_files_removed(subject);
  }
}

// Every catchable signal whose default action ends the process ends seltool by that signal
// (the parent sees it) after removing the files seltool created: the next `echo --listen` on
// the same path must not find "Address already in use" (issue 20, item 7).
TEST(ProcessEnv, EveryFatalSignalRemovesTheCreatedFiles) {
  for (const int number : {SIGQUIT, SIGABRT, SIGALRM, SIGUSR1, SIGUSR2, SIGPROF, SIGSYS, SIGVTALRM,
                           SIGXCPU, SIGXFSZ}) {
    for (const std::string& command : kRunningCommands) {
      const TempDir dir;
      Subject subject = make_subject(command, dir);
      SeltoolProcess process(subject.args, options_for(subject));
      ASSERT_TRUE(process.read_line(20s)) << command;  // running: its files exist
      process.signal(number);
      EXPECT_EQ(process.wait_exit(10s), 128 + number) << command << " " << strsignal(number);
      expect_files_removed(subject);
    }
  }
}

// ---- Standard descriptors closed at start ----

// `seltool watch -e write file:PATH >&-` once opened the target as descriptor 1 and wrote its
// events into the user's file (issue 12, break 4).
TEST(ProcessEnv, ClosedStdoutIsNeverATargetsDescriptor) {
  const TempDir dir;
  const std::string file = dir.file("v.txt");
  UniqueFd(::open(file.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
  for (const std::vector<int>& closed : {std::vector<int>{1}, std::vector<int>{0, 1, 2}}) {
    SpawnOptions options;
    options.closed = closed;
    const Result result =
        run_seltool({"watch", "-s", "poll", "-e", "write", "-n", "1", "file:" + file}, options);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    struct stat status {};
    ASSERT_EQ(::stat(file.c_str(), &status), 0);
    EXPECT_EQ(status.st_size, 0) << "events were written into the target";
  }
}

// With stdin, stdout and stderr closed every command runs as usual and stops as documented.
TEST(ProcessEnv, StandardDescriptorsClosedAtStart) {
  for (const std::string& command : kCommands) {
    const TempDir dir;
    Subject subject = make_subject(command, dir);
    SpawnOptions options = options_for(subject);
    options.closed = {0, 1, 2};
    SeltoolProcess process(subject.args, options);
    if (command != "selectors") {
      // No line to read: the socket file says the command is (almost) running.
      ASSERT_TRUE(wait_until([&] { return exists(subject.files[0]); }, 20s)) << command;
      const auto started = Clock::now();
      while (seconds_since(started) < 0.5) subject.traffic();
      ASSERT_TRUE(process.running()) << command;
      process.signal(SIGTERM);
    }
    const int expected = subject.exit_on_stop_signal < 0 ? 128 + SIGTERM : 0;
    EXPECT_EQ(process.wait_exit(10s), expected) << command;
    expect_files_removed(subject);
  }
}

// ---- A reader that stalls, then resumes ----

// echo goes on serving while nobody reads its log; lines past --log-buffer are dropped and
// counted; SIGTERM while stdout is stalled drains and exits 0 (it once blocked in write(1),
// stopped serving, and SIGTERM gave exit 125 "Interrupted system call": break 3).
TEST(ProcessEnv, EchoServesWhileItsLogReaderStalls) {
  const TempDir dir;
  Subject subject = make_subject("echo", dir);
  subject.args.insert(subject.args.end(), {"--log-buffer", "16384"});
  SeltoolProcess process(subject.args, options_for(subject));
  ASSERT_TRUE(process.read_line(20s));  // "listening"; from now on nobody reads
  const double cpu_before = cpu_seconds_of(process.pid());
  const auto started = Clock::now();
  // About 150 bytes per line, two lines per client: well past the pipe and the log buffer.
  for (int i = 0; i < 600; ++i) {
    UniqueFd client = connect_unix(subject.files[0]);
    write_all(client.get(), "ping");
    ASSERT_EQ(read_exact(client.get(), 4, 5s), "ping") << "client " << i << " not served";
  }
  EXPECT_LT(cpu_seconds_of(process.pid()) - cpu_before, 0.6 * seconds_since(started) + 0.5);
  process.signal(SIGTERM);
  // The reader resumes within --drain-timeout, once echo has taken the signal (its drain
  // closes the listener at once).
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          connect_unix(subject.files[0]);
          return false;
        } catch (const std::system_error&) {
          return true;
        }
      },
      10s))
      << "echo did not start its drain";
  const std::vector<Json> lines = parse_lines(process.rest_of_stdout(10s));
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back()["event"], "stopped");
  EXPECT_GT(lines.back()["log_lines_dropped"], 0);
  const bool counted = std::any_of(lines.begin(), lines.end(), [](const Json& line) {
    return line.contains("dropped_lines") && line["dropped_lines"] > 0;
  });
  EXPECT_TRUE(counted) << "no line said how many lines were dropped before it";
  EXPECT_EQ(process.wait_exit(10s), 0);
  expect_files_removed(subject);
}

// A reader that never resumes: echo still stops within --drain-timeout, exit 0.
TEST(ProcessEnv, EchoStopsWhenItsLogReaderNeverResumes) {
  const TempDir dir;
  Subject subject = make_subject("echo", dir);
  SeltoolProcess process(subject.args, options_for(subject));
  ASSERT_TRUE(process.read_line(20s));
  for (int i = 0; i < 400; ++i) subject.traffic();
  const auto signalled = Clock::now();
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait_exit(10s), 0);
  EXPECT_LT(seconds_since(signalled), 8.0);  // --drain-timeout 2s, and a loaded machine
  expect_files_removed(subject);
}

// watch and wait block on a stalled stdout without spinning (their lines are their product),
// lose nothing when the reader resumes, and a stop signal then ends them the documented way.
TEST(ProcessEnv, WatchAndWaitBlockOnAStalledReaderAndResume) {
  for (const std::string command : {"watch", "wait"}) {
    const TempDir dir;
    Subject subject = make_subject(command, dir);
    Pipe out = make_pipe();
    ::fcntl(out.read_end.get(), F_SETPIPE_SZ, 4096);  // a few of wait's lines fill it
    SpawnOptions options = options_for(subject);
    options.descriptors[1] = out.write_end.get();
    SeltoolProcess process(subject.args, options);
    out.write_end.reset();
    // The first line is out: it runs.
    ASSERT_TRUE(readable_within(out.read_end.get(), 20s)) << command;
    const auto stall = Clock::now();
    while (seconds_since(stall) < 0.7) subject.traffic();  // fills the pipe; nobody reads
    const double cpu_before = cpu_seconds_of(process.pid());
    while (seconds_since(stall) < 1.7) subject.traffic();
    EXPECT_LT(cpu_seconds_of(process.pid()) - cpu_before, 0.5) << command << " spun";
    ASSERT_TRUE(process.running()) << command << " did not wait for its reader";
    // The reader resumes; a stop signal comes while it reads.
    std::string text;
    std::thread reader([&] { text = read_until_eof(out.read_end.get(), 20s); });
    const auto resumed = Clock::now();
    while (seconds_since(resumed) < 0.3) subject.traffic();
    process.signal(SIGTERM);
    reader.join();
    const std::vector<Json> lines = parse_lines(text);
    ASSERT_FALSE(lines.empty()) << command;
    if (command == "watch") {
      EXPECT_EQ(lines.back()["event"], "summary");
      EXPECT_EQ(lines.back()["reason"], "signal");
      EXPECT_EQ(process.wait_exit(10s), 0);
    } else {
      EXPECT_EQ(process.wait_exit(10s), 128 + SIGTERM);
    }
    expect_files_removed(subject);
  }
}

// A stop signal ends watch and wait promptly while stdout's reader stalls for good (`timeout 10
// seltool watch ... > fifo`, a service manager's stop): the summary that cannot be written is
// dropped and the command ends by the signal, and what reached stdout is whole lines (issue 20,
// items 4 and 5: watch once blocked until the reader drained).
TEST(ProcessEnv, StopSignalEndsWatchAndWaitWhoseReaderStalls) {
  for (const int number : {SIGTERM, SIGINT}) {
    for (const std::string command : {"watch", "wait"}) {
      const std::string label = command + " " + strsignal(number);
      const TempDir dir;
      Subject subject = make_subject(command, dir);
      if (command == "watch") {
        // Lines of a few hundred bytes (at most PIPE_BUF: never cut).
        const int writer = subject.input->write_end.get();
        subject.traffic = [writer] {
          (void)!::write(writer, "0123456789abcdef0123456789abcdef", 32);
          std::this_thread::sleep_for(5ms);
        };
      }
      Pipe out = make_pipe();
      ::fcntl(out.read_end.get(), F_SETPIPE_SZ, 4096);
      SpawnOptions options = options_for(subject);
      options.descriptors[1] = out.write_end.get();
      SeltoolProcess process(subject.args, options);
      out.write_end.reset();
      ASSERT_TRUE(readable_within(out.read_end.get(), 20s)) << label;
      const auto stall = Clock::now();
      while (seconds_since(stall) < 1.0) subject.traffic();  // fills the pipe; nobody reads
      ASSERT_TRUE(process.running()) << label;
      process.signal(number);
      EXPECT_EQ(process.wait_exit(10s), 128 + number) << label << " did not end by the signal";
      const std::string text = read_until_eof(out.read_end.get(), 10s);
      ASSERT_FALSE(text.empty()) << label;
      EXPECT_EQ(text.back(), '\n') << label << ": the last line is cut";
      parse_lines(text);  // every line whole JSON
      expect_files_removed(subject);
    }
  }
}

// A line longer than PIPE_BUF that a stalled reader took only part of cannot be taken back: a
// stop signal ends watch within 1 s anyway, exit 125 with one line saying the last line is cut.
TEST(ProcessEnv, StopSignalEndsWatchMidwayThroughALongLine) {
  const TempDir dir;
  Subject subject = make_subject("watch", dir);  // lines of more than 64 KiB
  Pipe out = make_pipe();
  SpawnOptions options = options_for(subject);
  options.descriptors[1] = out.write_end.get();
  SeltoolProcess process(subject.args, options);
  out.write_end.reset();
  ASSERT_TRUE(readable_within(out.read_end.get(), 20s));
  const auto stall = Clock::now();
  while (seconds_since(stall) < 1.0) subject.traffic();
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait_exit(10s), kExitInternal);
  EXPECT_EQ(process.rest_of_stderr(2s),
            "seltool: stdout's reader took nothing for 1 s after the stop signal: its last line "
            "is cut\n");
  expect_files_removed(subject);
}

// echo's log, with a reader that stalls for good and a stop signal: the lines that reached
// stdout are whole; the log never ends in the middle of a line (issue 20, item 4).
TEST(ProcessEnv, EchoLogIsWholeLinesWhenItsReaderStalls) {
  const TempDir dir;
  Subject subject = make_subject("echo", dir);
  Pipe out = make_pipe();
  SpawnOptions options = options_for(subject);
  options.descriptors[1] = out.write_end.get();
  SeltoolProcess process(subject.args, options);
  out.write_end.reset();
  ASSERT_TRUE(readable_within(out.read_end.get(), 20s));
  // About 150 bytes per line, two lines per client: well past the pipe's 64 KiB.
  for (int i = 0; i < 600; ++i) subject.traffic();
  process.signal(SIGTERM);
  EXPECT_EQ(process.wait_exit(10s), 0);
  const std::string text = read_until_eof(out.read_end.get(), 10s);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n') << "the log ends in the middle of a line";
  parse_lines(text);
  expect_files_removed(subject);
}

// ---- Signals at random moments during traffic ----

// SIGINT, SIGTERM and SIGHUP stop each command the documented way (watch: summary, exit 0;
// wait: dies of the signal; echo: drains, "stopped", exit 0); SIGPIPE ends every one of them
// as a reader that went away does (141). The moments come from a fixed list of seeds.
TEST(ProcessEnv, SignalsAtRandomMomentsDuringTraffic) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    std::mt19937 random(seed);
    for (const int number : {SIGHUP, SIGINT, SIGTERM, SIGPIPE}) {
      for (const std::string& command : kRunningCommands) {
        const TempDir dir;
        Subject subject = make_subject(command, dir);
        SeltoolProcess process(subject.args, options_for(subject));
        const auto started = Clock::now();
        // The random moment counts from the first line: before it the command has not taken
        // over its signals yet (a signal then ends seltool by the signal, as docs/cli.md says).
        const std::optional<std::string> first = process.read_line(20s);
        ASSERT_TRUE(first) << command;
        std::string out = *first + "\n";
        traffic_for(process, subject, std::chrono::milliseconds(50 + random() % 300));
        process.signal(number);
        const std::string label =
            command + " " + strsignal(number) + " seed " + std::to_string(seed);
        const auto deadline = Clock::now() + 10s;
        while (process.running() && Clock::now() < deadline) {
          subject.traffic();
          while (auto line = process.read_line(1ms)) out += *line + "\n";
        }
        out += process.rest_of_stdout(5s);
        const bool stops = number != SIGPIPE && subject.exit_on_stop_signal == 0;
        EXPECT_EQ(process.wait_exit(0ms), stops ? 0 : 128 + number) << label;
        const Json last = last_complete_line(out);
        if (stops) {
          ASSERT_TRUE(last.is_object()) << label;
          EXPECT_EQ(last["event"], subject.last_event) << label << ": " << last.dump();
        }
        EXPECT_LT(process.cpu_seconds(), 0.6 * seconds_since(started) + 0.5) << label;
        expect_files_removed(subject);
      }
    }
  }
}

// ---- What an exec'd command inherits, and created files ----

// `wait -- COMMAND` leaves COMMAND only descriptors 0, 1 and 2, whatever seltool opened
// (connect sockets, a FIFO, a listener, the selector's own descriptors), on every backend.
TEST(ProcessEnv, NoDescriptorLeaksIntoTheCommand) {
  const std::string list_fds = runfile("tests/support/list_fds");
  for (const std::string& backend : kBackends) {
    const TempDir dir;
    const std::string fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    UniqueFd fifo_writer(::open(fifo.c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_EQ(::write(fifo_writer.get(), "x", 1), 1);
    UniqueFd listener = listen_tcp(0);
    const std::string socket_file = dir.file("wait.sock");
    SeltoolProcess process({"wait", "-s", backend, "-t", "10", fifo,
                            "127.0.0.1:" + std::to_string(local_port(listener.get())),
                            "unix-listen:" + socket_file, "--", list_fds});
    UniqueFd client;  // makes the unix-listen target ready, once it listens
    const auto connected = [&] {
      try {
        client = connect_unix(socket_file);
      } catch (const std::exception&) {
      }
      return bool(client);
    };
    ASSERT_TRUE(wait_until(connected, 20s)) << backend;
    std::string last;
    while (auto line = process.read_line()) last = *line;
    EXPECT_EQ(last, "0 1 2") << backend;
    EXPECT_EQ(process.wait_exit(), 0) << backend << ": " << process.rest_of_stderr(1s);
    EXPECT_FALSE(exists(socket_file)) << backend << ": socket file left for the command";
  }
}

// A socket file replaced while seltool runs belongs to someone else: it stays (break 6).
TEST(ProcessEnv, ReplacedSocketFileIsLeftAlone) {
  for (const std::string command : {"watch", "wait", "echo"}) {
    const TempDir dir;
    Subject subject = make_subject(command, dir);
    SeltoolProcess process(subject.args, options_for(subject));
    ASSERT_TRUE(process.read_line(20s)) << command;
    const std::string& path = subject.files[0];
    ASSERT_TRUE(exists(path)) << command;
    ASSERT_EQ(::unlink(path.c_str()), 0);
    UniqueFd(::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
    process.signal(SIGTERM);
    process.rest_of_stdout(10s);
    EXPECT_TRUE(process.wait_exit(10s)) << command;
    EXPECT_TRUE(exists(path)) << command << " removed a file it did not create";
  }
}

// ---- User text in messages ----

// A newline or escape sequence in an argument stays inside one quoted, escaped line.
TEST(ProcessEnv, UsageErrorsQuoteAndEscapeUserText) {
  const std::string hostile = "a\nb\x1b[31m\xc2\x9b\xff'\\";
  const std::vector<std::vector<std::string>> commands = {
      {hostile},
      {"watch", "-t", hostile, "0"},
      {"wait", "-s", hostile, "0"},
      {"echo", "--listen", hostile},
      {"echo", "--max-connections", hostile},
  };
  for (const auto& args : commands) {
    const Result result = run_seltool(args);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << "not one line: " << result.err;
    EXPECT_EQ(result.err.find('\x1b'), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("\xc2\x9b"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(R"(a\nb\x1B[31m\u009B\xFF\'\\')"), std::string::npos) << result.err;
  }
}

}  // namespace
}  // namespace seltool::testing
