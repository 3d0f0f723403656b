// Bytes waiting to be written (an echo connection's unsent echo, echo's queued log lines), kept
// in fixed-size chunks: the memory held stays within the bytes queued plus two chunks, appends
// never move what is queued (a growing vector doubles its capacity and copies), and a drained
// queue holds nothing.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>

namespace seltool::cli {

class ByteQueue {
 public:
  static constexpr std::size_t kChunkSize = 16 * 1024;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void append(const char* data, std::size_t size);
  // Writes the first queued bytes (several chunks in one call; at most `max_bytes` with
  // write_to) with sendmsg(fd, flags) on a socket or writev(fd); returns what the call
  // returned. Nothing is consumed.
  ssize_t send_to(int fd, int flags) const;
  ssize_t write_to(int fd, std::size_t max_bytes = SIZE_MAX) const;
  // Drops the first `size` bytes (at most size()): those that were written.
  void consume(std::size_t size);

 private:
  static constexpr int kMaxParts = 16;  // chunks per call
  // Fills `out` with the queued bytes in order; returns how many entries it filled.
  int gather(iovec (&out)[kMaxParts], std::size_t max_bytes = SIZE_MAX) const;

  std::deque<std::unique_ptr<char[]>> chunks_;
  std::size_t head_ = 0;  // offset of the first queued byte in chunks_.front()
  std::size_t tail_ = 0;  // bytes used in chunks_.back()
  std::size_t size_ = 0;
};

}  // namespace seltool::cli
