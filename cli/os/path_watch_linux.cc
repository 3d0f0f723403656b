// Path watches through inotify: one instance per watched path, with at most two watches in it,
// the file the path names (written to, its attributes, removed or renamed) and the nearest
// existing directory on the way to it (an entry created, removed or renamed in it). Both are
// moved when update() finds the path leads elsewhere; IN_IGNORED of a watch taken away wakes
// the caller once more, and finds nothing to move.
#include <errno.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>

#include "cli/os/path_watch.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

constexpr std::uint32_t kFileEvents =
    IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF;
constexpr std::uint32_t kDirectoryEvents = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                           IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// The directory holding `path`: "." for a name alone, "/" for "/name".
std::string parent_of(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  const std::size_t slash = trimmed.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return trimmed.substr(0, slash);
}

class InotifyPathWatch : public PathWatch {
 public:
  explicit InotifyPathWatch(std::string path) : path_(std::move(path)) {
    inotify_.reset(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (!inotify_) {
      throw std::system_error(errno, std::generic_category(), "inotify_init1");
    }
    rewatch();
  }

  int fd() const override { return inotify_.get(); }

  void update() override {
    alignas(inotify_event) char buffer[4096];
    while (::read(inotify_.get(), buffer, sizeof buffer) > 0) {
    }  // what changed is looked up afresh, whatever the notices said
    rewatch();
  }

 private:
  // One watch: what it is on (a path and its inode) and its descriptor in the instance.
  struct Watch {
    std::string path;
    dev_t device = 0;
    ino_t inode = 0;
    int wd = -1;
  };

  void rewatch() {
    struct stat status {};
    Watch file;
    if (::stat(path_.c_str(), &status) == 0) {
      file = Watch{path_, status.st_dev, status.st_ino, -1};
    }
    Watch directory;
    for (std::string dir = parent_of(path_);; dir = parent_of(dir)) {
      if (::stat(dir.c_str(), &status) == 0 || dir == "." || dir == "/") {
        directory = Watch{dir, status.st_dev, status.st_ino, -1};
        break;
      }
    }
    move(file_, file, kFileEvents);
    move(directory_, directory, kDirectoryEvents);
  }

  // Makes `current` watch `wanted` (nothing when wanted.path is ""), unless it already does.
  void move(Watch& current, Watch wanted, std::uint32_t events) {
    if (current.wd >= 0 && current.path == wanted.path && current.device == wanted.device &&
        current.inode == wanted.inode) {
      return;
    }
    if (current.wd >= 0) ::inotify_rm_watch(inotify_.get(), current.wd);  // gone: EINVAL
    if (!wanted.path.empty()) {
      wanted.wd = ::inotify_add_watch(inotify_.get(), wanted.path.c_str(), events);
    }
    current = std::move(wanted);  // wd -1 when it could not be watched: tried again next time
  }

  const std::string path_;
  UniqueFd inotify_;
  Watch file_;
  Watch directory_;
};

}  // namespace

std::unique_ptr<PathWatch> open_path_watch(const std::string& path) {
  return std::make_unique<InotifyPathWatch>(path);
}

}  // namespace seltool::cli
