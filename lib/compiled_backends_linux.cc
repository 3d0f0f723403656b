// Linux: epoll first, then io_uring (not the default: see docs/benchmarks.md), poll and select.
#include <iterator>

#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

constexpr CompiledBackend kCompiledBackends[] = {
    {"epoll", &make_epoll_backend},
    {"io_uring", &make_io_uring_backend},
    {"poll", &make_poll_backend},
    {"select", &make_select_backend},
};
constexpr std::size_t kCompiledBackendCount = std::size(kCompiledBackends);

}  // namespace seltool
