#include "cli/stop_signals.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>

namespace seltool::cli {
namespace {

volatile sig_atomic_t received = 0;
volatile sig_atomic_t last_number = 0;
std::atomic<Selector*> woken{nullptr};
struct sigaction previous_int;
struct sigaction previous_term;

void on_stop_signal(int number) {
  received = received + 1;
  last_number = number;
  if (Selector* selector = woken.load()) selector->wakeup();
}

// A signal ignored when seltool started stays ignored: shells ignore SIGINT for the background
// jobs of a script, so that Ctrl-C stops only the foreground command.
void catch_unless_ignored(int number, const struct sigaction& action, struct sigaction& previous) {
  sigaction(number, nullptr, &previous);
  if (previous.sa_handler != SIG_IGN) sigaction(number, &action, nullptr);
}

}  // namespace

StopSignals::StopSignals(Selector& selector) {
  received = 0;
  last_number = 0;
  woken.store(&selector);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  catch_unless_ignored(SIGINT, action, previous_int);
  catch_unless_ignored(SIGTERM, action, previous_term);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  woken.store(nullptr);
}

int StopSignals::count() const noexcept { return received; }

int StopSignals::last() const noexcept { return last_number; }

void die_of_signal(int number) {
  ::signal(number, SIG_DFL);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, number);
  sigprocmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(number);
  ::_exit(128 + number);  // not reached: the default action of SIGINT/SIGTERM ends the process
}

}  // namespace seltool::cli
