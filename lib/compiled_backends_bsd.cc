// macOS and the BSDs: kqueue first, then poll and select (CPython's order).
#include <iterator>

#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

constexpr CompiledBackend kCompiledBackends[] = {
    {"kqueue", &make_kqueue_backend},
    {"poll", &make_poll_backend},
    {"select", &make_select_backend},
};
constexpr std::size_t kCompiledBackendCount = std::size(kCompiledBackends);

}  // namespace seltool
