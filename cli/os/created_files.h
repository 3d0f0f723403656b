// Files seltool creates (the socket files of `echo --listen unix:PATH` and of `unix-listen:`
// targets), kept in one process-wide registry so that they are removed whatever way seltool
// ends: normally (the owner's destructor), by an exception (unwinding), or by a signal (the
// handlers of stop_signals.h call remove_all_created_files()).
//
// A file is removed only while it is still the one seltool created: the device and inode read
// when it was noted must match (a file another program put at that path since is left alone).
// The check and the unlink are two calls on a path, so a replacement in between is not caught.
#pragma once

#include <string>

namespace seltool::cli {

// Notes `path`, just created by seltool (e.g. by bind()), with its current device and inode.
// Throws std::system_error when the file cannot be examined (lstat), std::bad_alloc.
void note_created_file(const std::string& path);

// Removes `path` if it is still the file noted under that name, and forgets it. A path never
// noted is left alone.
void remove_created_file(const std::string& path) noexcept;

// Removes every noted file that is still the one seltool created. Async-signal-safe (lstat,
// unlink and atomics only): for a signal handler about to end the process.
void remove_all_created_files() noexcept;

}  // namespace seltool::cli
