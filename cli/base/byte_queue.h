// Bytes waiting to be written (an echo connection's unsent echo, echo's queued log lines), kept
// in fixed-size chunks: the memory held stays within the bytes queued plus two chunks, appends
// never move what is queued (a growing vector doubles its capacity and copies), and a drained
// queue holds nothing.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

#include "cli/base/const_buffer.h"

namespace seltool::cli {

class ByteQueue {
 public:
  static constexpr std::size_t kChunkSize = 16 * 1024;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void append(const char* data, std::size_t size);
  // Fills up to `max` entries of `out` with the queued bytes in order (for writev, sendmsg,
  // WSASend); returns how many it filled.
  int gather(ConstBuffer* out, int max) const;
  // Drops the first `size` bytes (at most size()): those that were written.
  void consume(std::size_t size);

 private:
  std::deque<std::unique_ptr<char[]>> chunks_;
  std::size_t head_ = 0;  // offset of the first queued byte in chunks_.front()
  std::size_t tail_ = 0;  // bytes used in chunks_.back()
  std::size_t size_ = 0;
};

}  // namespace seltool::cli
