// Windows: select over Winsock sockets is the only backend (as in CPython).
#include <iterator>

#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

constexpr CompiledBackend kCompiledBackends[] = {
    {"select", &make_select_backend},
};
constexpr std::size_t kCompiledBackendCount = std::size(kCompiledBackends);

}  // namespace seltool
