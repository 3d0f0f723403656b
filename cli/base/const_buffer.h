// A run of bytes to write, as POSIX's iovec and Winsock's WSABUF hold it, without either.
#pragma once

#include <cstddef>

namespace seltool::cli {

struct ConstBuffer {
  const void* data;
  std::size_t size;
};

}  // namespace seltool::cli
