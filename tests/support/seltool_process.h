// Runs the real seltool binary (or another program) for the tests: stdout and stderr come back
// through pipes, chosen descriptors of the test are passed to the child under chosen numbers,
// lines are read with a timeout, and a child still running at the end is killed and reaped.
// The Windows build runs the same way under wine (set_seltool_command).
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lib/selectors.h"
#include "lib/unique_fd.h"
#include "tests/support/clock.h"
#include "tests/support/descriptors.h"

namespace seltool::testing {

using Json = nlohmann::json;

// The backends of this build, each of which every behaviour is checked with: epoll, poll and
// select natively on Linux; poll and select with --config=generic_posix; kqueue (emulated),
// poll and select with --config=kqueue_emulated.
inline const std::vector<std::string> kBackends = compiled_backend_names();

// Path of `path` (relative to the workspace) in the test's runfiles.
std::string runfile(const std::string& path);
// Path of the seltool binary in the test's runfiles.
std::string seltool_path();
// What SeltoolProcess runs, the arguments following: {seltool_path()} unless set, e.g. to
// {"tools/wine_run.sh", "seltool.exe"} by the Windows tests.
void set_seltool_command(std::vector<std::string> command);

struct SpawnOptions {
  std::map<int, int> descriptors;          // child descriptor number -> the test's descriptor
  std::map<std::string, std::string> env;  // set in the child ("" value: unset)
  std::optional<rlim_t> max_open_files;    // RLIMIT_NOFILE of the child, set before exec
  std::string cwd;                         // the child's working directory ("": the test's)
  std::vector<int> closed;                 // child descriptors closed before exec (0, 1, 2...)
  std::vector<int> ignored_signals;        // set to SIG_IGN in the child before exec
  std::optional<uid_t> user;  // run seltool as this user and group id (the test must be root)
  // System calls that fail with ENOSYS in the child, as on a kernel without them: a seccomp
  // filter installed before exec (Linux; x86-64 and aarch64, other ABIs' calls kill it).
  std::vector<long> enosys_calls;
};

// Options that only set `env` in the child ("" value: unset).
inline SpawnOptions with_env(std::map<std::string, std::string> env) {
  SpawnOptions options;
  options.env = std::move(env);
  return options;
}

// Options that only pass the test's `descriptors` on to the child (child number -> test's).
inline SpawnOptions passing(std::map<int, int> descriptors) {
  SpawnOptions options;
  options.descriptors = std::move(descriptors);
  return options;
}

class SeltoolProcess {
 public:
  explicit SeltoolProcess(const std::vector<std::string>& args, const SpawnOptions& options = {});
  // Runs `program` (a path) instead, e.g. a shell loading a completion script.
  SeltoolProcess(const std::string& program, const std::vector<std::string>& args,
                 const SpawnOptions& options);
  ~SeltoolProcess();  // kills and reaps the child if it still runs
  SeltoolProcess(const SeltoolProcess&) = delete;
  SeltoolProcess& operator=(const SeltoolProcess&) = delete;

  pid_t pid() const { return pid_; }
  // The next line of stdout (without '\n'), or nullopt at EOF or when `timeout` passes first.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout = 5s);
  // The next stdout line parsed as JSON (fails the test when it is not JSON).
  std::optional<Json> read_event(std::chrono::milliseconds timeout = 5s);
  // True when nothing arrives on stdout for `period` (a line or EOF ends it early).
  bool quiet_for(std::chrono::milliseconds period);
  // Everything else on stdout / stderr until EOF (bounded by `timeout`).
  std::string rest_of_stdout(std::chrono::milliseconds timeout = 10s);
  std::string rest_of_stderr(std::chrono::milliseconds timeout = 10s);

  // Waits for the exit: the exit code, 128 + signal when killed, nullopt after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout = 10s);
  bool running();
  // CPU time (user + system) of the exited child, from wait4().
  double cpu_seconds() const;
  void signal(int number);
  // Stops the child (SIGSTOP, waiting until it is stopped), runs `action`, and lets it go on
  // (SIGCONT). A child woken by an event from its select() (asleep() before the event) stops
  // on its way back from that system call, so `action` runs between what the kernel reported
  // and what the child does next.
  void while_stopped(const std::function<void()>& action);
  // Closes the test's end of the child's stdout: its reader is gone.
  void close_stdout() { stdout_.reset(); }

 private:
  bool fill(int fd, std::string& buffer, Clock::time_point deadline);

  pid_t pid_ = -1;
  UniqueFd stdout_;
  UniqueFd stderr_;
  std::string stdout_buffer_;
  std::string stderr_buffer_;
  std::optional<int> exit_code_;
  rusage usage_{};
};

// Whether this process may switch to user `uid` (for SpawnOptions::user): root, outside a user
// namespace that maps only root, as Bazel's sandbox may be.
bool can_become(uid_t uid);

// Runs seltool to completion.
struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
};
Result run_seltool(const std::vector<std::string>& args, const SpawnOptions& options = {},
                   std::chrono::milliseconds timeout = 20s);

// The same for another `program` (a path), e.g. a shell loading a completion script.
Result run_program(const std::string& program, const std::vector<std::string>& args,
                   const SpawnOptions& options = {}, std::chrono::milliseconds timeout = 20s);

// Whether `out` is safe for a terminal: no control character (C0, DEL, C1 as UTF-8) but the
// newlines that end its lines.
bool terminal_safe(const std::string& out);

// Every stdout line of `out` parsed as JSON.
std::vector<Json> parse_lines(const std::string& out);

// Skips events until one named `name`; nullopt on EOF or after `timeout`.
std::optional<Json> wait_for_event(SeltoolProcess& process, const std::string& name,
                                   std::chrono::milliseconds timeout = 10s);
// The port of the first "listening" line (seltool echo); -1 when none came within `timeout`.
int listening_port(SeltoolProcess& process, std::chrono::milliseconds timeout = 10s);

// CPU time (user + system) a running process used so far, from /proc/PID/stat.
// The files the loader maps for `program` (ldd's "=> PATH" and the loader's own line), as
// absolute paths; the vDSO, which has no file, is left out.
std::vector<std::string> loaded_objects(const std::string& program);
// Whether `program` is a sanitizer build (it loads libasan, libubsan or libtsan): such a
// runtime opens descriptors of its own (UBSan's memory checks use a pipe) and needs /proc.
bool loads_sanitizer_runtime(const std::string& program);

double cpu_seconds_of(pid_t pid);
// Whether a process sleeps now, e.g. in its select() ("S" in /proc/PID/stat).
bool asleep(pid_t pid);
// Resident memory of a running process, from /proc/PID/status.
long rss_kib_of(pid_t pid);

// A fresh directory under /tmp (short enough for sun_path) for Unix sockets and FIFOs; removed
// with what it contains when the test ends.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace seltool::testing
