// created_files.h on POSIX systems. Each socket is bound, examined and removed relative to a
// held descriptor of its directory (see created_files.h for what that guarantees).
//
// bind() has no form relative to a directory descriptor, so a short-lived child process binds:
// it fchdir()s to the held directory and binds the socket (inherited, the same open file
// description) to the bare name, then exits. The parent's working directory never changes
// (fchdir() in seltool itself would be process-wide, for every relative path it opens), there
// is no dependence on /proc, and only the last component must fit in sockaddr_un. Every
// signal is blocked from before the fork until the file is noted, so the child never runs
// seltool's handlers and a signal that ends seltool meanwhile still finds the file to remove.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <memory>

#include "cli/os/created_files.h"
#include "cli/os/socket_ops_posix.h"
#include "lib/unique_fd.h"

namespace seltool::cli {
namespace {

// One noted file. Entries are never freed (a handler may be reading one); a forgotten entry is
// reused by the next note. seltool is single-threaded: `state` orders each entry's updates
// against a signal handler that interrupts them.
struct Entry {
  enum State { kFree, kWriting, kNoted };
  std::atomic<int> state{kFree};
  std::string path;  // as the user gave it: what remove_created_file() names; kWriting only
  std::unique_ptr<char[]> name;  // NUL-terminated last component; replaced only while kWriting
  int directory = -1;            // held open while kNoted
  dev_t device = 0;
  ino_t inode = 0;
  Entry* next = nullptr;  // set before the entry is published, never changed afterwards
};

std::atomic<Entry*> entries{nullptr};

bool is_same_file(const Entry& entry) {
  struct stat status {};
  return ::fstatat(entry.directory, entry.name.get(), &status, AT_SYMLINK_NOFOLLOW) == 0 &&
         status.st_dev == entry.device && status.st_ino == entry.inode;
}

// Unlinks the entry's file if it is still the one noted; the entry must be kNoted.
void remove_entry(Entry& entry) {
  const int saved_errno = errno;  // a handler must not change errno for the code it interrupted
  if (is_same_file(entry)) ::unlinkat(entry.directory, entry.name.get(), 0);
  errno = saved_errno;
}

Entry& claim_entry() {
  for (Entry* entry = entries.load(); entry; entry = entry->next) {
    int expected = Entry::kFree;
    if (entry->state.compare_exchange_strong(expected, Entry::kWriting)) return *entry;
  }
  auto* entry = new Entry;  // lives until the process ends
  entry->state = Entry::kWriting;
  entry->next = entries.load();
  entries.store(entry);
  return *entry;
}

// Every signal blocked while it lives.
class SignalsBlocked {
 public:
  SignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &previous_);
  }
  ~SignalsBlocked() { sigprocmask(SIG_SETMASK, &previous_, nullptr); }
  SignalsBlocked(const SignalsBlocked&) = delete;
  SignalsBlocked& operator=(const SignalsBlocked&) = delete;

 private:
  sigset_t previous_;
};

// bind() of `fd` to `name` in `directory`, from a child process (see the top of this file); a
// `name` that exists, even as a symlink, is EADDRINUSE. 0 or errno. Signals must be blocked.
int bind_in_directory(int fd, int directory, const std::string& name) {
  sockaddr_un address{};
  if (name.size() >= sizeof address.sun_path) return ENAMETOOLONG;
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, name.data(), name.size());
  const pid_t child = ::fork();
  if (child == -1) return errno;
  if (child == 0) {
    if (::fchdir(directory) == -1) ::_exit(errno);
    ::_exit(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 ? 0
                                                                                         : errno);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) == -1) {
    if (errno != EINTR) return errno;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EINTR;
}

}  // namespace

int bind_unix_socket(int fd, const std::string& path) {
  const std::size_t slash = path.rfind('/');
  const std::string directory_path = slash == std::string::npos ? "."
                                     : slash == 0               ? "/"
                                                                : path.substr(0, slash);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty()) return EISDIR;  // "dir/": a directory, not a socket's name
  UniqueFd directory(open_directory(directory_path));
  if (!directory) return errno;

  const SignalsBlocked blocked;
  if (const int errnum = bind_in_directory(fd, directory.get(), name)) return errnum;
  struct stat status {};
  if (::fstatat(directory.get(), name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == -1) return errno;
  if (S_ISSOCK(status.st_mode)) {  // else replaced already by the directory's owner: not ours
    Entry& entry = claim_entry();
    entry.path = path;
    entry.name = std::make_unique<char[]>(name.size() + 1);
    memcpy(entry.name.get(), name.c_str(), name.size() + 1);
    entry.directory = directory.release();
    entry.device = status.st_dev;
    entry.inode = status.st_ino;
    entry.state = Entry::kNoted;
  }
  return 0;
}

int listen_unix_socket(int fd, const std::string& path, int backlog) {
  if (const int errnum = bind_unix_socket(fd, path)) return errnum;
  if (::listen(fd, backlog) == -1) {
    const int errnum = errno;
    remove_created_file(path);
    return errnum;
  }
  return 0;
}

void remove_created_file(const std::string& path) noexcept {
  for (Entry* entry = entries.load(); entry; entry = entry->next) {
    if (entry->state != Entry::kNoted || path != entry->path) continue;
    entry->state = Entry::kWriting;  // a handler leaves it alone from here on
    remove_entry(*entry);
    ::close(entry->directory);
    entry->directory = -1;
    entry->state = Entry::kFree;
    return;
  }
}

void remove_all_created_files() noexcept {
  for (Entry* entry = entries.load(); entry; entry = entry->next) {
    if (entry->state == Entry::kNoted) remove_entry(*entry);
  }
}

}  // namespace seltool::cli
