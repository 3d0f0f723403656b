// How events reach stdout on Windows (json_lines.h). Winsock's select() cannot watch a pipe,
// console or file handle, so QueuedLines cannot wait for stdout to become writable there: it
// writes its queue at once, blocking while the reader is slow (a known difference from POSIX,
// docs/platforms.md). Windows has no SIGPIPE: every write error is "cannot write events".
#include <errno.h>
#include <io.h>

#include <system_error>

#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

constexpr int kStdout = 1;

[[noreturn]] void stdout_failed(int errnum) {
  throw std::system_error(errnum, std::generic_category(), "cannot write events to stdout");
}

}  // namespace

void write_stdout(std::string_view text) {
  while (!text.empty()) {
    const unsigned part = unsigned(std::min<std::size_t>(text.size(), 1u << 30));
    const int written = ::_write(kStdout, text.data(), part);
    if (written < 0) {
      if (errno != EINTR) stdout_failed(errno);
      continue;
    }
    text.remove_prefix(std::size_t(written));
  }
}

QueuedLines::QueuedLines(std::size_t bound) : bound_(bound), mode_(Mode::kPolled) {}

int QueuedLines::fd() const { return kStdout; }

void QueuedLines::wait_written(std::chrono::steady_clock::time_point) {}

void QueuedLines::write_some() {
  constexpr int kMaxParts = 16;
  while (pending()) {
    ConstBuffer parts[kMaxParts];
    const int count = queue_.gather(parts, kMaxParts);
    std::size_t written = 0;
    for (int i = 0; i < count; ++i) {
      write_stdout(std::string_view(static_cast<const char*>(parts[i].data), parts[i].size));
      written += parts[i].size;
    }
    queue_.consume(written);
  }
}

}  // namespace seltool::cli
