#include "cli/stop_signals.h"

#include <signal.h>

#include <atomic>

namespace seltool::cli {
namespace {

volatile sig_atomic_t received = 0;
std::atomic<Selector*> woken{nullptr};
struct sigaction previous_int;
struct sigaction previous_term;

void on_stop_signal(int) {
  received = received + 1;
  if (Selector* selector = woken.load()) selector->wakeup();
}

}  // namespace

StopSignals::StopSignals(Selector& selector) {
  received = 0;
  woken.store(&selector);
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int);
  sigaction(SIGTERM, &action, &previous_term);
}

StopSignals::~StopSignals() {
  sigaction(SIGINT, &previous_int, nullptr);
  sigaction(SIGTERM, &previous_term, nullptr);
  woken.store(nullptr);
}

int StopSignals::count() const noexcept { return received; }

}  // namespace seltool::cli
