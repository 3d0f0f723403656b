// Windows: select over Winsock sockets is the only backend (as in CPython).
#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

const CompiledBackend* compiled_backends(std::size_t& count) {
  static const CompiledBackend table[] = {
      {"select", &make_select_selector},
  };
  count = std::size(table);
  return table;
}

}  // namespace seltool
