// macOS and the BSDs: kqueue first, then poll and select (CPython's order).
#include "lib/backends.h"
#include "lib/compiled_backends.h"

namespace seltool {

const CompiledBackend* compiled_backends(std::size_t& count) {
  static const CompiledBackend table[] = {
      {"kqueue", &make_kqueue_selector},
      {"poll", &make_poll_selector},
      {"select", &make_select_selector},
  };
  count = std::size(table);
  return table;
}

}  // namespace seltool
