#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iterator>

#include "cli/os/created_files.h"
#include "cli/os/stop_signals.h"

namespace seltool::cli {
namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};

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

void on_fatal_signal(int number) { die_of_signal(number); }

// No SA_RESTART: a blocking call returns EINTR, and the caller looks at what arrived.
void handle(int number, void (*handler)(int), struct sigaction* old = nullptr) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(number, &action, old);
}

}  // namespace

void install_signal_cleanup() {
  sigemptyset(&ignored_at_start_set);
  for (int number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    struct sigaction current {};
    sigaction(number, nullptr, &current);
    if (current.sa_handler == SIG_IGN) {
      sigaddset(&ignored_at_start_set, number);
    } else {
      handle(number, on_fatal_signal);
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
