// UniqueFd: owns one POSIX descriptor and closes it exactly once (RAII).
#pragma once

#include <utility>

namespace seltool {

class UniqueFd {
 public:
  UniqueFd() noexcept = default;
  explicit UniqueFd(int fd) noexcept : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const noexcept { return fd_; }
  // Lets a UniqueFd be registered directly: it is a file object (see FileObject).
  int fileno() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }

  int release() noexcept { return std::exchange(fd_, -1); }
  // Closes the descriptor held, if any, and takes `fd`. Errors of close() are ignored: the
  // descriptor is released by the kernel whatever close() returns.
  void reset(int fd = -1) noexcept;

 private:
  int fd_ = -1;
};

}  // namespace seltool
