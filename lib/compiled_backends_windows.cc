// Windows: AFD polling (no limit on the number of sockets) where \Device\Afd can be opened,
// else select over Winsock sockets (CPython's only backend there).
#include <iterator>

#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

constexpr CompiledBackend kCompiledBackends[] = {
    {"afd", &make_afd_backend},
    {"select", &make_select_backend},
};
constexpr std::size_t kCompiledBackendCount = std::size(kCompiledBackends);

}  // namespace seltool
