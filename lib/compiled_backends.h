// The backends built for the target OS, in CPython's preference order. Each OS family has
// its own table file (compiled_backends_<os>.cc), chosen by lib/BUILD.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "lib/backend.h"

namespace seltool {

struct CompiledBackend {
  std::string_view name;
  std::unique_ptr<Backend> (*make)();
};

// Best first; defined by the table file of the target OS as constexpr, so that the tables
// are ready before any static initializer runs.
extern const CompiledBackend kCompiledBackends[];
extern const std::size_t kCompiledBackendCount;

}  // namespace seltool
