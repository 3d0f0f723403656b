#include "tests/support/seltool_process.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/support/event_schema.h"

namespace seltool::testing {

namespace {

#if defined(__x86_64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
constexpr std::uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
#endif

// In the child before exec: a classic BPF seccomp filter under which `calls` fail with ENOSYS.
// A call of another ABI (i386, x32) kills the process: its numbers mean other calls. False when
// the filter could not be installed.
bool fail_with_enosys(const std::vector<long>& calls) {
#if defined(__x86_64__) || defined(__aarch64__)
  std::vector<sock_filter> program{
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kAuditArch, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),  // x32's __X32_SYSCALL_BIT
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)};
  for (long call : calls) {
    program.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, std::uint32_t(call), 0, 1));
    program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS));
  }
  program.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  const sock_fprog filter{static_cast<unsigned short>(program.size()), program.data()};
  return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
         ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) == 0;
#else
  return calls.empty();
#endif
}

}  // namespace

std::string runfile(const std::string& path) {
  return std::string(std::getenv("TEST_SRCDIR")) + "/" + std::getenv("TEST_WORKSPACE") + "/" + path;
}

std::string seltool_path() { return runfile("cli/seltool"); }

namespace {

std::vector<std::string>& seltool_command() {
  static std::vector<std::string> command{seltool_path()};
  return command;
}

// The arguments of the command seltool_command() names, then `args`.
std::vector<std::string> after_command(const std::vector<std::string>& args) {
  std::vector<std::string> all(seltool_command().begin() + 1, seltool_command().end());
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

}  // namespace

void set_seltool_command(std::vector<std::string> command) {
  seltool_command() = std::move(command);
}

SeltoolProcess::SeltoolProcess(const std::vector<std::string>& args, const SpawnOptions& options)
    : SeltoolProcess(seltool_command().front(), after_command(args), options) {}

SeltoolProcess::SeltoolProcess(const std::string& program, const std::vector<std::string>& args,
                               const SpawnOptions& options) {
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  char* absolute = ::realpath(program.c_str(), nullptr);  // stays valid after chdir
  const std::string path = absolute ? absolute : program;
  std::free(absolute);
  const std::string name = program.substr(program.rfind('/') + 1);  // "seltool", "bash"
  std::vector<char*> argv{const_cast<char*>(name.c_str())};
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(out.write_end.get(), 1);
    ::dup2(err.write_end.get(), 2);
    // Passed descriptors go first to high temporary numbers, so that no mapping overwrites the
    // source of another; dup2 leaves the copies inheritable.
    std::map<int, int> staged;
    int spare = 900;
    for (const auto& [child_fd, test_fd] : options.descriptors) {
      staged[child_fd] = ::fcntl(test_fd, F_DUPFD, spare);
      spare = staged[child_fd] + 1;
    }
    int highest = 1024;
    for (const auto& [child_fd, temporary] : staged) {
      ::dup2(temporary, child_fd);
      highest = std::max({highest, child_fd, temporary});
    }
    for (int fd = 3; fd <= highest; ++fd) {
      if (!options.descriptors.count(fd)) ::close(fd);
    }
    for (int fd : options.closed) ::close(fd);
    for (int number : options.ignored_signals) ::signal(number, SIG_IGN);
    for (const auto& [name, value] : options.env) {
      if (value.empty()) {
        ::unsetenv(name.c_str());
      } else {
        ::setenv(name.c_str(), value.c_str(), 1);
      }
    }
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) ::_exit(127);
    if (options.max_open_files) {
      const rlimit limit{*options.max_open_files, *options.max_open_files};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    if (!options.enosys_calls.empty() && !fail_with_enosys(options.enosys_calls)) ::_exit(126);
    if (options.user) {
      // Opened first: the runfiles may be out of the other user's reach (/root is 0700).
      const int binary = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (::setgroups(0, nullptr) != 0 || ::setgid(*options.user) != 0 ||
          ::setuid(*options.user) != 0) {
        ::_exit(126);
      }
      ::fexecve(binary, argv.data(), environ);
      ::_exit(127);
    }
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  EXPECT_GT(pid_, 0) << "fork failed";
  stdout_ = std::move(out.read_end);
  stderr_ = std::move(err.read_end);
}

bool can_become(uid_t uid) {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(::setgid(uid) == 0 && ::setuid(uid) == 0 ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

SeltoolProcess::~SeltoolProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
}

// Reads what is available on `fd` into `buffer`, waiting until `deadline`; false at EOF or timeout.
bool SeltoolProcess::fill(int fd, std::string& buffer, Clock::time_point deadline) {
  if (!readable_within(fd, time_left(deadline))) return false;
  char chunk[4096];
  const ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n <= 0) return false;
  buffer.append(chunk, std::size_t(n));
  return true;
}

std::optional<std::string> SeltoolProcess::read_line(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    const std::size_t newline = stdout_buffer_.find('\n');
    if (newline != std::string::npos) {
      std::string line = stdout_buffer_.substr(0, newline);
      stdout_buffer_.erase(0, newline + 1);
      return line;
    }
    if (!fill(stdout_.get(), stdout_buffer_, deadline)) return std::nullopt;
  }
}

std::optional<Json> SeltoolProcess::read_event(std::chrono::milliseconds timeout) {
  const std::optional<std::string> line = read_line(timeout);
  if (!line) return std::nullopt;
  Json parsed = Json::parse(*line, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << *line;
  EXPECT_EQ(event_schema_violation(parsed), "") << "against docs/events.schema.json: " << *line;
  return parsed;
}

bool SeltoolProcess::quiet_for(std::chrono::milliseconds period) {
  if (stdout_buffer_.find('\n') != std::string::npos) return false;
  return !readable_within(stdout_.get(), period);
}

std::string SeltoolProcess::rest_of_stdout(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (fill(stdout_.get(), stdout_buffer_, deadline)) {
  }
  return std::exchange(stdout_buffer_, {});
}

std::string SeltoolProcess::rest_of_stderr(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (fill(stderr_.get(), stderr_buffer_, deadline)) {
  }
  return std::exchange(stderr_buffer_, {});
}

std::optional<int> SeltoolProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto reaped = [&] {
    int status = 0;
    if (::wait4(pid_, &status, WNOHANG, &usage_) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    return exit_code_.has_value();
  };
  if (!exit_code_ && !wait_until(reaped, timeout, 5ms)) return std::nullopt;
  return exit_code_;
}

bool SeltoolProcess::running() { return !wait_exit(0ms); }

double SeltoolProcess::cpu_seconds() const {
  const auto seconds = [](const timeval& tv) { return double(tv.tv_sec) + tv.tv_usec / 1e6; };
  return seconds(usage_.ru_utime) + seconds(usage_.ru_stime);
}

void SeltoolProcess::signal(int number) { ::kill(pid_, number); }

void SeltoolProcess::while_stopped(const std::function<void()>& action) {
  ::kill(pid_, SIGSTOP);
  int status = 0;
  pid_t changed;
  do {
    changed = ::waitpid(pid_, &status, WUNTRACED);
  } while (changed == -1 && errno == EINTR);
  EXPECT_TRUE(changed == pid_ && WIFSTOPPED(status)) << "the child did not stop";
  action();
  ::kill(pid_, SIGCONT);
}

Result run_seltool(const std::vector<std::string>& args, const SpawnOptions& options,
                   std::chrono::milliseconds timeout) {
  return run_program(seltool_command().front(), after_command(args), options, timeout);
}

Result run_program(const std::string& program, const std::vector<std::string>& args,
                   const SpawnOptions& options, std::chrono::milliseconds timeout) {
  const Clock::time_point start = Clock::now();
  SeltoolProcess process(program, args, options);
  Result result;
  result.out = process.rest_of_stdout(timeout);
  result.err = process.rest_of_stderr(timeout);
  result.exit_code = process.wait_exit(timeout).value_or(-1);
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

std::vector<Json> parse_lines(const std::string& out) {
  std::vector<Json> lines;
  std::istringstream stream(out);
  std::string line;
  while (std::getline(stream, line)) {
    Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(parsed.is_discarded()) << "not JSON: " << line;
    EXPECT_EQ(event_schema_violation(parsed), "") << "against docs/events.schema.json: " << line;
    lines.push_back(std::move(parsed));
  }
  return lines;
}

std::optional<Json> wait_for_event(SeltoolProcess& process, const std::string& name,
                                   std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (auto event = process.read_event(time_left(deadline))) {
    if ((*event)["event"] == name) return event;
  }
  return std::nullopt;
}

int listening_port(SeltoolProcess& process, std::chrono::milliseconds timeout) {
  const auto line = wait_for_event(process, "listening", timeout);
  if (!line) return -1;
  const std::string address = (*line)["address"];
  return std::atoi(address.substr(address.rfind(':') + 1).c_str());
}

std::vector<std::string> loaded_objects(const std::string& program) {
  const Result ldd = run_program("/usr/bin/ldd", {program});
  EXPECT_EQ(ldd.exit_code, 0) << ldd.err;
  std::vector<std::string> paths;
  std::istringstream lines(ldd.out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string word, path;
    while (words >> word) {
      if (word == "=>") words >> path;
      if (path.empty() && word.front() == '/') path = word;
    }
    if (!path.empty()) paths.push_back(path);
  }
  return paths;
}

bool loads_sanitizer_runtime(const std::string& program) {
  for (const std::string& object : loaded_objects(program)) {
    const std::string name = object.substr(object.rfind('/') + 1);
    for (const char* runtime : {"libasan.", "libubsan.", "libtsan."}) {
      if (name.rfind(runtime, 0) == 0) return true;
    }
  }
  return false;
}

double cpu_seconds_of(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
  }
  return ticks / double(::sysconf(_SC_CLK_TCK));
}

bool asleep(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t end_of_name = text.rfind(')');
  return end_of_name != std::string::npos && text.compare(end_of_name, 3, ") S") == 0;
}

long rss_kib_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return -1;
}

bool terminal_safe(const std::string& out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto byte = static_cast<unsigned char>(out[i]);
    const auto next = i + 1 < out.size() ? static_cast<unsigned char>(out[i + 1]) : 0;
    const bool c1 = byte == 0xc2 && next >= 0x80 && next <= 0x9f;
    if ((byte < 0x20 && byte != '\n') || byte == 0x7f || c1) return false;
  }
  return true;
}

TempDir::TempDir() : path_("/tmp/seltool-test-XXXXXX") {
  EXPECT_NE(::mkdtemp(path_.data()), nullptr);
}

TempDir::~TempDir() {
  if (DIR* dir = ::opendir(path_.c_str())) {
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") ::unlink(file(name).c_str());
    }
    ::closedir(dir);
  }
  ::rmdir(path_.c_str());
}

}  // namespace seltool::testing
