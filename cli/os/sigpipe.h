// Writes of a client library that does not keep SIGPIPE away itself (hiredis: libcurl and libpq
// do): a write to a socket its server has closed must fail with EPIPE, not end seltool, whose
// own SIGPIPE is for stdout (cli/output/json_lines.h). POSIX only (cli/os/BUILD).
#pragma once

#include <functional>

namespace seltool::cli {

// Runs `step` with SIGPIPE blocked in this thread, then discards a SIGPIPE that `step` raised
// and restores the signal mask.
void without_sigpipe(const std::function<void()>& step);

}  // namespace seltool::cli
