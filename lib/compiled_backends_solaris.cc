// Solaris and illumos: /dev/poll first, then poll and select (CPython's order).
#include <iterator>

#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

const CompiledBackend kCompiledBackends[] = {
    {"devpoll", &make_devpoll_selector},
    {"poll", &make_poll_selector},
    {"select", &make_select_selector},
};
const std::size_t kCompiledBackendCount = std::size(kCompiledBackends);

}  // namespace seltool
