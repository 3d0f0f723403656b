// Backends by name: which exist, which work here, and which is the default (Python's
// DefaultSelector, chosen the way CPython's _can_use() does: by really creating one).
#include <exception>
#include <string>

#include "lib/backend.h"
#include "lib/compiled_backends.h"
#include "lib/selectors.h"

namespace seltool {
namespace {

// Every backend the library knows, in CPython's preference order.
constexpr std::string_view kKnownBackends[] = {"kqueue",  "epoll", "io_uring",
                                               "devpoll", "poll",  "select"};

const CompiledBackend* compiled_begin() { return kCompiledBackends; }
const CompiledBackend* compiled_end() { return kCompiledBackends + kCompiledBackendCount; }

const CompiledBackend* find_compiled(std::string_view name) {
  for (const CompiledBackend* backend = compiled_begin(); backend != compiled_end(); ++backend) {
    if (backend->name == name) return backend;
  }
  return nullptr;
}

// Why `backend` cannot be used here, or an empty string when it can: it is created and
// polled once without blocking (a seccomp filter or an old kernel fails one of the two).
// `traits`, when given, receives the backend's traits when it can be used.
std::string probe(const CompiledBackend& backend, BackendTraits* traits = nullptr) {
  try {
    const std::unique_ptr<Selector> selector = make_selector_over(backend.make());
    selector->select(0);
    if (traits) *traits = selector->traits();
    return {};
  } catch (const std::exception& error) {
    return error.what();
  }
}

}  // namespace

std::vector<std::string> compiled_backend_names() {
  std::vector<std::string> names;
  for (const CompiledBackend* backend = compiled_begin(); backend != compiled_end(); ++backend) {
    names.emplace_back(backend->name);
  }
  return names;
}

std::vector<BackendInfo> backends() {
  std::vector<BackendInfo> result;
  for (std::string_view name : kKnownBackends) {
    const CompiledBackend* backend = find_compiled(name);
    BackendInfo info{std::string(name), backend != nullptr, false, {}, {}};
    if (backend) {
      info.reason = probe(*backend, &info.traits);
      info.usable = info.reason.empty();
    } else {
      info.reason = "not built for this operating system";
    }
    result.push_back(std::move(info));
  }
  return result;
}

std::unique_ptr<Selector> make_selector(std::string_view name) {
  if (const CompiledBackend* backend = find_compiled(name)) {
    return make_selector_over(backend->make());
  }
  std::string known;
  for (const std::string& compiled : compiled_backend_names()) {
    known += (known.empty() ? "" : ", ") + compiled;
  }
  throw std::invalid_argument("unknown selector backend '" + std::string(name) +
                              "' (this build has: " + known + ")");
}

std::string default_selector_name() {
  static const std::string chosen = [] {
    for (const CompiledBackend* backend = compiled_begin(); backend != compiled_end(); ++backend) {
      if (probe(*backend).empty()) return std::string(backend->name);
    }
    // select() works wherever anything does; let make_selector() report the real failure.
    return std::string(compiled_end()[-1].name);
  }();
  return chosen;
}

std::unique_ptr<Selector> make_default_selector() { return make_selector(default_selector_name()); }

}  // namespace seltool
