#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <unistd.h>

#include <atomic>
#include <iterator>

#include "cli/os/created_files.h"
#include "cli/os/stop_signals.h"

namespace seltool::cli {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

// Every signal whose default action ends the process and that a handler can catch, except the
// faults of the process itself (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP: a sanitizer or a
// debugger reports those, and the code that faulted cannot go on safely anyway).
constexpr int kFatalSignals[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGABRT, SIGPIPE,   SIGALRM, SIGTERM,
                                 SIGUSR1, SIGUSR2, SIGPROF, SIGSYS,  SIGVTALRM, SIGXCPU, SIGXFSZ};

volatile sig_atomic_t received = 0;
volatile sig_atomic_t last_number = 0;
std::atomic<Selector*> woken{nullptr};
struct sigaction previous[std::size(kStopSignals)];
sigset_t ignored_at_start_set;

void on_stop_signal(int number) {
  received = received + 1;
  last_number = number;
  if (Selector* selector = woken.load()) selector->wakeup();
}

// SIGXFSZ that the kernel sends to a process writing past its file size limit (`ulimit -f`)
// is not fatal here: the write then fails with EFBIG, reported as any write error (exit 125).
// Sent by another process (kill), it ends seltool as any other fatal signal does.
void on_fatal_signal(int number, siginfo_t* info, void*) {
  const bool sent_by_other = info != nullptr &&
                             (info->si_code == SI_USER || info->si_code == SI_QUEUE) &&
                             info->si_pid != ::getpid();
  if (number == SIGXFSZ && !sent_by_other) return;
  die_of_signal(number);
}

// No SA_RESTART: a blocking call returns EINTR, and the caller looks at what arrived.
void handle(int number, void (*handler)(int), struct sigaction* old = nullptr) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(number, &action, old);
}

void handle_fatal(int number) {
  struct sigaction action {};
  action.sa_sigaction = on_fatal_signal;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  sigaction(number, &action, nullptr);
}

}  // namespace

void install_signal_cleanup() {
  sigemptyset(&ignored_at_start_set);
  for (int number : kFatalSignals) {
    struct sigaction current {};
    sigaction(number, nullptr, &current);
    if (current.sa_handler == SIG_IGN) {
      sigaddset(&ignored_at_start_set, number);
    } else {
      handle_fatal(number);
    }
  }
}

bool ignored_at_start(int number) { return sigismember(&ignored_at_start_set, number) == 1; }

StopSignals::StopSignals(Selector& selector) {
  received = 0;
  last_number = 0;
  woken.store(&selector);
  for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
    sigaction(kStopSignals[i], nullptr, &previous[i]);
    if (previous[i].sa_handler != SIG_IGN) handle(kStopSignals[i], on_stop_signal);
  }
}

StopSignals::~StopSignals() {
  for (std::size_t i = 0; i < std::size(kStopSignals); ++i) {
    sigaction(kStopSignals[i], &previous[i], nullptr);
  }
  woken.store(nullptr);
}

int StopSignals::count() const noexcept { return received; }

int StopSignals::last() const noexcept { return last_number; }

int stop_signal_received() noexcept { return last_number; }

WaitEnd wait_writable(int fd, int timeout_ms, bool until_stop) {
  if (until_stop && fd < FD_SETSIZE) {
    // The stop signals stay blocked from the check until pselect() unblocks them atomically.
    sigset_t stops, previous_mask;
    sigemptyset(&stops);
    for (int number : kStopSignals) sigaddset(&stops, number);
    sigprocmask(SIG_BLOCK, &stops, &previous_mask);
    int ready = -1;
    if (last_number == 0) {
      fd_set writable;
      FD_ZERO(&writable);
      FD_SET(fd, &writable);
      const timespec limit{timeout_ms / 1000, long(timeout_ms % 1000) * 1'000'000};
      ready = ::pselect(fd + 1, nullptr, &writable, nullptr, timeout_ms < 0 ? nullptr : &limit,
                        &previous_mask);
    }
    sigprocmask(SIG_SETMASK, &previous_mask, nullptr);
    if (ready > 0) return WaitEnd::kWritable;
    return last_number != 0 ? WaitEnd::kStopSignal : WaitEnd::kNotYet;
  }
  pollfd writable{fd, POLLOUT, 0};
  if (::poll(&writable, 1, timeout_ms) > 0) return WaitEnd::kWritable;
  return until_stop && last_number != 0 ? WaitEnd::kStopSignal : WaitEnd::kNotYet;
}

const char* const kDiedOfSignalCode = "128+N";
const char* const kDiedOfSignalMeaning = "stopped by signal N (SIGINT, SIGTERM)";

void die_of_signal(int number) {
  remove_all_created_files();
  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigemptyset(&action.sa_mask);
  sigaction(number, &action, nullptr);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, number);
  sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(number);
  ::_exit(128 + number);  // not reached: the default action of these signals ends the process
}

}  // namespace seltool::cli
