#include "cli/byte_queue.h"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace seltool::cli {

void ByteQueue::append(const char* data, std::size_t size) {
  size_ += size;
  while (size > 0) {
    if (chunks_.empty() || tail_ == kChunkSize) {
      chunks_.push_back(std::make_unique<char[]>(kChunkSize));
      tail_ = 0;
    }
    const std::size_t part = std::min(size, kChunkSize - tail_);
    std::memcpy(chunks_.back().get() + tail_, data, part);
    tail_ += part;
    data += part;
    size -= part;
  }
}

int ByteQueue::gather(iovec (&out)[kMaxParts], std::size_t max_bytes) const {
  int filled = 0;
  for (std::size_t i = 0; i < chunks_.size() && filled < kMaxParts && max_bytes > 0; ++i) {
    const std::size_t begin = i == 0 ? head_ : 0;
    const std::size_t end = i + 1 == chunks_.size() ? tail_ : kChunkSize;
    const std::size_t part = std::min(end - begin, max_bytes);
    if (part > 0) out[filled++] = {chunks_[i].get() + begin, part};
    max_bytes -= part;
  }
  return filled;
}

ssize_t ByteQueue::send_to(int fd, int flags) const {
  iovec parts[kMaxParts];
  msghdr message{};
  message.msg_iov = parts;
  message.msg_iovlen = std::size_t(gather(parts));
  return ::sendmsg(fd, &message, flags);
}

ssize_t ByteQueue::write_to(int fd, std::size_t max_bytes) const {
  iovec parts[kMaxParts];
  return ::writev(fd, parts, gather(parts, max_bytes));
}

void ByteQueue::consume(std::size_t size) {
  size = std::min(size, size_);
  size_ -= size;
  while (size > 0) {
    const std::size_t end = chunks_.size() == 1 ? tail_ : kChunkSize;
    const std::size_t part = std::min(size, end - head_);
    head_ += part;
    size -= part;
    if (head_ == end) {
      chunks_.pop_front();
      head_ = 0;
    }
  }
  if (size_ == 0) {
    chunks_.clear();
    head_ = tail_ = 0;
  }
}

}  // namespace seltool::cli
