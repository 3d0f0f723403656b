// StopSignals on Windows (stop_signals.h): the console's Ctrl-C, Ctrl-Break and close events
// take the path SIGINT and SIGTERM take on POSIX. Windows runs a console control handler on a
// thread of its own, so the count is atomic and the selector is woken the same way (its
// wakeup() sends a byte on a socket, safe from any thread).
#include <winsock2.h>  // includes windows.h after itself (windows.h first would bring winsock.h)

#include <atomic>
#include <csignal>
#include <cstdlib>

#include "cli/os/stop_signals.h"

namespace seltool::cli {
namespace {

std::atomic<int> received{0};
std::atomic<int> last_number{0};
std::atomic<Selector*> woken{nullptr};
std::atomic<bool> watching{false};

// How long a close, log-off or shut-down event waits for the command to finish (Windows ends
// the process when the handler returns, and at the latest after about 5 seconds).
constexpr DWORD kCloseGraceMs = 4000;

BOOL WINAPI on_console_event(DWORD type) {
  if (!watching.load()) return FALSE;  // the default: end the process
  const bool interrupt = type == CTRL_C_EVENT || type == CTRL_BREAK_EVENT;
  last_number.store(interrupt ? SIGINT : SIGTERM);
  received.fetch_add(1);
  if (Selector* selector = woken.load()) selector->wakeup();
  if (!interrupt) {
    // Give the command its orderly end (summary line, drained echoes) before Windows ends it.
    for (DWORD waited = 0; watching.load() && waited < kCloseGraceMs; waited += 50) ::Sleep(50);
  }
  return TRUE;
}

}  // namespace

// Nothing to install: Windows has no SIGHUP or SIGPIPE, and the console events reach seltool
// only through StopSignals (outside it, Windows ends the process, which created no files).
void install_signal_cleanup() {}

bool ignored_at_start(int) { return false; }

StopSignals::StopSignals(Selector& selector) {
  received.store(0);
  last_number.store(0);
  woken.store(&selector);
  watching.store(true);
  ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

StopSignals::~StopSignals() {
  ::SetConsoleCtrlHandler(on_console_event, FALSE);
  watching.store(false);
  woken.store(nullptr);
}

int StopSignals::count() const noexcept { return received.load(); }

int StopSignals::last() const noexcept { return last_number.load(); }

int stop_signal_received() noexcept { return last_number.load(); }

const char* const kDiedOfSignalCode = "0xC000013A";
const char* const kDiedOfSignalMeaning =
    "stopped by Ctrl-C, Ctrl-Break or the console closing (STATUS_CONTROL_C_EXIT, as Windows' "
    "own Ctrl-C handling; -1073741510 as a signed number)";

void die_of_signal(int) {
  // What Windows' default Ctrl-C handling exits with (STATUS_CONTROL_C_EXIT).
  std::_Exit(int(0xC000013AU));
}

}  // namespace seltool::cli
