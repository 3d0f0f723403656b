// Backends by name: which exist, which work here, and which is the default (Python's
// DefaultSelector, chosen the way CPython's _can_use() does: by really creating one).
#include <exception>
#include <mutex>
#include <string>
#include <system_error>

#include "lib/backend.h"
#include "lib/compiled_backends.h"
#include "lib/selectors.h"

namespace seltool {
namespace {

// Every backend the library knows, in CPython's preference order.
// "afd" is Windows' (as wepoll, mio and libuv use it); CPython has none there but select.
constexpr std::string_view kKnownBackends[] = {"kqueue", "epoll", "io_uring", "devpoll",
                                               "afd",    "poll",  "select"};

const CompiledBackend* compiled_begin() { return kCompiledBackends; }
const CompiledBackend* compiled_end() { return kCompiledBackends + kCompiledBackendCount; }

const CompiledBackend* find_compiled(std::string_view name) {
  for (const CompiledBackend* backend = compiled_begin(); backend != compiled_end(); ++backend) {
    if (backend->name == name) return backend;
  }
  return nullptr;
}

// Creates `backend` and polls it once without blocking (a seccomp filter or an old kernel
// fails one of the two). On failure returns nullptr with the reason in `why`; a failure for
// want of descriptors or memory is thrown instead: it says nothing about the backend.
std::unique_ptr<Selector> try_create(const CompiledBackend& backend, std::string& why) {
  try {
    std::unique_ptr<Selector> selector = make_selector_over(backend.make());
    selector->select(0);
    return selector;
  } catch (const std::system_error& error) {
    if (is_resource_exhaustion(error)) throw;
    why = error.what();
  } catch (const std::exception& error) {
    why = error.what();
  }
  return nullptr;
}

// The default backend's name once chosen; guarded because any thread may ask first.
std::mutex default_mutex;
std::string default_name;

// The first backend in preference order that works here, remembered as the default. Called
// with default_mutex held.
std::unique_ptr<Selector> create_preferred() {
  for (const CompiledBackend* backend = compiled_begin(); backend != compiled_end(); ++backend) {
    std::string why;
    if (std::unique_ptr<Selector> selector = try_create(*backend, why)) {
      default_name = backend->name;
      return selector;
    }
  }
  // select() works wherever anything does; let make_selector() report the real failure.
  default_name = compiled_end()[-1].name;
  return make_selector(default_name);
}

}  // namespace

bool is_resource_exhaustion(const std::system_error& error) noexcept {
  const std::error_code code = error.code();
  return code == std::errc::too_many_files_open ||
         code == std::errc::too_many_files_open_in_system || code == std::errc::not_enough_memory ||
         code == std::errc::no_buffer_space;
}

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
      const std::unique_ptr<Selector> selector = try_create(*backend, info.reason);
      info.usable = selector != nullptr;
      if (selector) info.traits = selector->traits();
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
  const std::lock_guard<std::mutex> lock(default_mutex);
  if (default_name.empty()) create_preferred();
  return default_name;
}

std::unique_ptr<Selector> make_default_selector() {
  std::unique_lock<std::mutex> lock(default_mutex);
  if (default_name.empty()) return create_preferred();  // the probe itself is returned
  const std::string name = default_name;
  lock.unlock();
  return make_selector(name);
}

}  // namespace seltool
