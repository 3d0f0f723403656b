// How the POSIX backends report a failed system call: a std::system_error with errno in the
// generic category (so callers can compare with std::errc), naming the call and, where there
// is one, the descriptor.
#pragma once

#include <string>
#include <system_error>

namespace seltool {

[[noreturn]] inline void throw_os_error(int error, const std::string& call) {
  throw std::system_error(error, std::generic_category(), call);
}

[[noreturn]] inline void throw_os_error(int error, const std::string& call, int fd) {
  throw_os_error(error, call + " (file descriptor " + std::to_string(fd) + ")");
}

}  // namespace seltool
