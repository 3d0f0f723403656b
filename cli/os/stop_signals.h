// Signals, the same rules for every command (docs/cli.md, "Signals"):
// - SIGINT, SIGTERM and SIGHUP (a closed terminal) ask a running command to stop (StopSignals);
//   each command says what stopping means (watch: summary, exit 0; wait: die of the signal;
//   echo: drain, exit 0).
// - SIGPIPE means stdout's reader is gone: seltool ends by it (exit 141 in a shell).
// - Outside a StopSignals lifetime (start-up, shut-down) these four end seltool by the signal.
// - Every other signal whose default action ends the process and that can be caught (SIGQUIT,
//   SIGABRT, SIGALRM, SIGUSR1/2, SIGPROF, SIGSYS, SIGVTALRM, SIGXCPU, SIGXFSZ) ends seltool by
//   the signal too, after the same clean-up; the faults SIGSEGV, SIGBUS, SIGFPE, SIGILL and
//   SIGTRAP keep their default action. SIGXFSZ raised by the kernel for a write past the file
//   size limit (`ulimit -f`) only makes that write fail with EFBIG (exit 125).
// Whatever ends seltool, the files it created are removed first (created_files.h). A signal
// that was ignored when seltool started stays ignored (the background jobs of a script).
#pragma once

#include "lib/selectors.h"

namespace seltool::cli {

// Gives every signal above (unless ignored at start) a handler that removes the created files
// and then ends seltool by the signal. Called once, at start. The handlers
// are reset by exec(), so a `wait -- COMMAND` gets the dispositions seltool was started with.
void install_signal_cleanup();

// Whether `number` was ignored when install_signal_cleanup() ran.
bool ignored_at_start(int number);

// While alive, SIGINT, SIGTERM and SIGHUP no longer end seltool: the handler counts the signal
// and wakes `selector` (Selector::wakeup() is async-signal-safe), so a loop blocked in select()
// returns and sees count() > 0. A blocking write to stdout interrupted by one is retried
// (json_lines.h). The previous handlers are restored on destruction. One instance at a time.
class StopSignals {
 public:
  explicit StopSignals(Selector& selector);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Signals received so far: a command may treat a second one as "stop now".
  int count() const noexcept;
  bool requested() const noexcept { return count() > 0; }
  // The number of the last signal received (0: none).
  int last() const noexcept;
};

// The last stop signal a StopSignals counted (0: none yet), whether or not one is alive now.
int stop_signal_received() noexcept;

// How a wait for a writable descriptor ended (wait_writable()). kNotYet: the timeout passed or
// another signal interrupted the wait; the caller looks at its clock and waits again.
enum class WaitEnd { kWritable, kStopSignal, kNotYet };

// Waits until `fd` is writable, `timeout_ms` passed (-1: no limit) or, when `until_stop`, a stop
// signal is counted. A signal counted before the call ends the wait at once: none is missed
// between the caller's check and the wait (pselect(); a descriptor past FD_SETSIZE is polled,
// and a signal in that window is seen at the next one). POSIX only: Windows cannot wait for a
// pipe or console to be writable.
WaitEnd wait_writable(int fd, int timeout_ms, bool until_stop);

// Removes the created files, then ends seltool as if `number` had killed it (its default
// action, so the parent sees the signal). Async-signal-safe.
[[noreturn]] void die_of_signal(int number);

// How --help states the exit status die_of_signal() gives: "128+N" (the shell's number for a
// process killed by signal N) on POSIX; Windows' STATUS_CONTROL_C_EXIT there.
extern const char* const kDiedOfSignalCode;
extern const char* const kDiedOfSignalMeaning;

}  // namespace seltool::cli
