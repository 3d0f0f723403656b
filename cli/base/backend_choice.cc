#include "cli/base/backend_choice.h"

#include <stdexcept>
#include <system_error>

#include "cli/base/usage_error.h"

namespace seltool::cli {
namespace {

// "default, epoll, poll, select": what --selector accepts on this machine.
std::string usable_names() {
  std::string names = "default";
  for (const BackendInfo& backend : backends()) {
    if (backend.usable) names += ", " + backend.name;
  }
  return names;
}

[[noreturn]] void reject(const std::string& name, const std::string& why) {
  throw UsageError("selector " + quote_input(name) + " (from -s/--selector or " +
                   kSelectorEnvironment + ") " + why + "; usable here: " + usable_names());
}

}  // namespace

std::vector<std::string> compiled_selector_names() {
  std::vector<std::string> names = compiled_backend_names();  // no probing: none is created
  names.insert(names.begin(), "default");
  return names;
}

std::unique_ptr<Selector> open_selector(const std::string& name) {
  try {
    if (name == "default") return make_default_selector();
    return make_selector(name);
  } catch (const std::invalid_argument&) {
    for (const BackendInfo& backend : backends()) {
      if (backend.name == name) reject(name, "is not available: " + backend.reason);
    }
    reject(name, "is unknown");
  } catch (const std::system_error& error) {
    if (is_resource_exhaustion(error)) throw;  // seltool's own failure, not the user's choice
    reject(name, std::string("cannot be used on this machine: ") + error.what());
  }
}

}  // namespace seltool::cli
