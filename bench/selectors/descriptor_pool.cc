#include "bench/selectors/descriptor_pool.h"

#include <dirent.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <system_error>

namespace seltool::bench {
namespace {

constexpr int kReserve = 32;

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

int open_descriptor_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) throw_errno("opendir /proc/self/fd");
  int count = -1;  // the directory's own descriptor is listed too
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

int raise_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == -1) throw_errno("getrlimit");
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == -1) throw_errno("setrlimit");
  return int(limit.rlim_cur);
}

}  // namespace

int max_pool_size() {
  static const int size = (raise_limit() - open_descriptor_count() - kReserve) & ~1;
  return size;
}

DescriptorPool::DescriptorPool(int size) {
  owned_.reserve(std::size_t(size));
  fds_.reserve(std::size_t(size));
  for (int i = 0; i < size / 2; ++i) {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) == -1) {
      throw_errno("socketpair");
    }
    for (int fd : pair) {
      owned_.emplace_back(fd);
      fds_.push_back(fd);
    }
  }
}

void DescriptorPool::activate(int active) {
  const std::int64_t size = std::int64_t(fds_.size());
  for (std::int64_t i = 0; i < active; ++i) {
    const std::size_t ready = std::size_t(i * size / active);
    const char byte = 1;
    if (::write(fds_[ready ^ 1], &byte, 1) != 1) throw_errno("write to socketpair");
  }
}

}  // namespace seltool::bench
