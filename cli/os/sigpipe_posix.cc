#include <signal.h>
#include <time.h>

#include "cli/os/sigpipe.h"

namespace seltool::cli {

void without_sigpipe(const std::function<void()>& step) {
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  sigset_t pending;
  sigpending(&pending);
  const bool pending_before = sigismember(&pending, SIGPIPE) == 1;
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &pipe, &previous);
  const auto restore = [&] {
    sigpending(&pending);
    if (!pending_before && sigismember(&pending, SIGPIPE) == 1) {
      const timespec now{0, 0};
      sigtimedwait(&pipe, nullptr, &now);  // the one `step` raised
    }
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  };
  try {
    step();
  } catch (...) {
    restore();
    throw;
  }
  restore();
}

}  // namespace seltool::cli
