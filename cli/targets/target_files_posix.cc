// The targets that are POSIX descriptors: inherited descriptor numbers and paths (files, FIFOs,
// devices, sockets by path). Windows has none of them (target_files_windows.cc).
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/base/usage_error.h"
#include "cli/targets/targets.h"

namespace seltool::cli {
namespace {

Target::Stream stream_of(int fd, const struct stat& status) {
  if (S_ISFIFO(status.st_mode)) return Target::Stream::kPipe;
  if (!S_ISSOCK(status.st_mode)) return Target::Stream::kFile;
  int type = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) == 0 && type != SOCK_STREAM) {
    return Target::Stream::kRecords;
  }
  return Target::Stream::kStreamSocket;
}

}  // namespace

bool target_kind_available(TargetKind) { return true; }

bool path_exists(const std::string& path) {
  struct stat status {};
  return ::lstat(path.c_str(), &status) == 0;
}

// Asked of poll(), whichever backend reported the readiness (select cannot tell). Linux says
// POLLERR (and never POLLHUP for a write end); FreeBSD and macOS say POLLHUP, never POLLERR.
bool pipe_without_reader(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISFIFO(status.st_mode)) return false;
  pollfd probe{fd, POLLOUT, 0};
  return ::poll(&probe, 1, 0) == 1 && (probe.revents & (POLLERR | POLLHUP)) != 0;
}

bool at_end_of_file(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) return false;
  const off_t offset = ::lseek(fd, 0, SEEK_CUR);
  return offset != -1 && offset >= status.st_size;
}

bool hung_up(int fd) {
  pollfd probe{fd, POLLIN, 0};
  return ::poll(&probe, 1, 0) == 1 && (probe.revents & POLLHUP) != 0;
}

std::ptrdiff_t read_some(int fd, void* data, std::size_t size) { return ::read(fd, data, size); }

void Target::open_inherited() {
  if (::fcntl(spec_.fd, F_GETFD) == -1) {
    throw UsageError("target " + quote_input(spec_.text) + ": descriptor " +
                     std::to_string(spec_.fd) + " is not open (open it in the shell, e.g. exec " +
                     std::to_string(spec_.fd) + "<file)");
  }
  fd_ = spec_.fd;
  take_access_mode("descriptor " + std::to_string(fd_));
}

void Target::take_access_mode(const std::string& descriptor) {
  struct stat status {};
  if (::fstat(fd_, &status) == 0) {
    socket_ = S_ISSOCK(status.st_mode);
    stream_ = stream_of(fd_, status);
  }
  const int access = ::fcntl(fd_, F_GETFL) & O_ACCMODE;
  if (access == O_RDONLY) possible_ = EVENT_READ;
  if (access == O_WRONLY) possible_ = EVENT_WRITE;
  if ((interest_ & possible_) == 0) {
    throw UsageError("target " + quote_input(spec_.text) + ": " + descriptor + " is open " +
                     (access == O_RDONLY ? "read-only" : "write-only") + ", so it can never be " +
                     (access == O_RDONLY ? "writable (-e write)" : "readable (-e read)"));
  }
}

int Target::open_path() {
  const int mode = interest_ == (EVENT_READ | EVENT_WRITE) ? O_RDWR
                   : interest_ == EVENT_WRITE              ? O_WRONLY
                                                           : O_RDONLY;
  owned_.reset(::open(spec_.path.c_str(), mode | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (!owned_) return errno;
  struct stat status {};
  if (::fstat(owned_.get(), &status) == 0 && S_ISDIR(status.st_mode)) {
    owned_.reset();
    return EISDIR;
  }
  fd_ = owned_.get();
  socket_ = S_ISSOCK(status.st_mode);
  stream_ = stream_of(fd_, status);
  fifo_ = S_ISFIFO(status.st_mode);
  regular_ = S_ISREG(status.st_mode);
  return 0;
}

}  // namespace seltool::cli
