// Notice of changes at a path: that it appeared, went away, names another file, or that the
// file it names was written to. What changed is for the caller to find out (stat, fstat): a
// notice only says when to look. Per OS: path_watch_linux.cc (inotify), path_watch_unsupported.cc
// (no notices: the caller looks every interval; the BSDs' and macOS's EVFILT_VNODE is not
// written yet, see docs/platforms.md).
#pragma once

#include <memory>
#include <string>

namespace seltool::cli {

class PathWatch {
 public:
  virtual ~PathWatch() = default;
  // Readable when something may have changed; the caller registers it with its selector.
  virtual int fd() const = 0;
  // Takes the notices that came (never blocks) and watches what the path leads to now: the
  // file it names, and the nearest directory on its way that exists (so that each missing
  // component is seen when it appears). The caller looks at the path after each update().
  virtual void update() = 0;
};

// A watch of `path` (close-on-exec, non-blocking), or nullptr where this OS gives no notices.
// Throws std::system_error when the OS could but failed (EMFILE, the inotify instance limit).
std::unique_ptr<PathWatch> open_path_watch(const std::string& path);

}  // namespace seltool::cli
