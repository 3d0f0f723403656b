// Writes to a socket where nothing else keeps SIGPIPE away (a client library that does not,
// as hiredis: libcurl and libpq do; sendmsg() where MSG_NOSIGNAL is missing,
// socket_ops_generic.cc): a write to a socket whose peer is gone must fail with EPIPE, not
// end seltool, whose own SIGPIPE is for stdout (cli/output/json_lines.h). POSIX only.
#pragma once

#include <functional>

namespace seltool::cli {

// Runs `step` with SIGPIPE blocked in this thread, then discards a SIGPIPE that `step` raised
// and restores the signal mask.
void without_sigpipe(const std::function<void()>& step);

}  // namespace seltool::cli
