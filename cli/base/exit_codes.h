// seltool's exit codes, the same for every command (see docs/cli.md). They follow coreutils
// `timeout` and wait-for-it, so that scripts can tell "timed out" from "failed".
#pragma once

namespace seltool::cli {

inline constexpr int kExitOk = 0;            // condition met, or stopped by SIGINT/SIGTERM
inline constexpr int kExitFailed = 1;        // a definitive negative (e.g. every target failed)
inline constexpr int kExitUsage = 2;         // bad command line or bad input
inline constexpr int kExitTimeout = 124;     // the timeout passed before the condition was met
inline constexpr int kExitInternal = 125;    // seltool's own runtime failure
inline constexpr int kExitCannotExec = 126;  // `-- COMMAND` exists but cannot be executed
inline constexpr int kExitNotFound = 127;    // `-- COMMAND` was not found

}  // namespace seltool::cli
