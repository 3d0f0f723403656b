#include "cli/base/byte_queue.h"

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

int ByteQueue::gather(ConstBuffer* out, int max) const {
  int filled = 0;
  for (std::size_t i = 0; i < chunks_.size() && filled < max; ++i) {
    const std::size_t begin = i == 0 ? head_ : 0;
    const std::size_t end = i + 1 == chunks_.size() ? tail_ : kChunkSize;
    if (end > begin) out[filled++] = {chunks_[i].get() + begin, end - begin};
  }
  return filled;
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
