// The backends built for the target OS, in CPython's preference order. Each OS has its own
// table file (compiled_backends_<os>.cc), chosen by lib/BUILD.
#pragma once

#include <memory>
#include <string_view>

#include "lib/selectors.h"

namespace seltool {

struct CompiledBackend {
  std::string_view name;
  std::unique_ptr<Selector> (*make)();
};

// A static table of `count` entries, best first.
const CompiledBackend* compiled_backends(std::size_t& count);

}  // namespace seltool
