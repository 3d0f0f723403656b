// Any other POSIX system (AIX, Haiku, QNX, Cygwin...): poll, then select (CPython's order).
#include <iterator>

#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

constexpr CompiledBackend kCompiledBackends[] = {
    {"poll", &make_poll_backend},
    {"select", &make_select_backend},
};
constexpr std::size_t kCompiledBackendCount = std::size(kCompiledBackends);

}  // namespace seltool
