#include "cli/selector_option.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <exception>

#include "cli/usage_error.h"

namespace seltool::cli {
namespace {

constexpr const char* kEnvironment = "SELTOOL_SELECTOR";

// "default, epoll, poll, select": what --selector accepts on this machine.
std::string usable_names() {
  std::string names = "default";
  for (const BackendInfo& backend : backends()) {
    if (backend.usable) names += ", " + backend.name;
  }
  return names;
}

[[noreturn]] void reject(const std::string& name, const std::string& why) {
  throw UsageError("selector " + quote_input(name) + " (from -s/--selector or " + kEnvironment +
                   ") " + why + "; usable here: " + usable_names());
}

}  // namespace

CLI::Option* add_selector_option(CLI::App& command, std::string& name) {
  const char* from_environment = std::getenv(kEnvironment);
  name = from_environment && *from_environment ? from_environment : "default";
  return command
      .add_option("-s,--selector", name,
                  std::string("backend: default, select, poll, epoll, kqueue or devpoll "
                              "(default: $") +
                      kEnvironment + " or 'default')")
      ->type_name("NAME");
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
    reject(name, std::string("cannot be used on this machine: ") + error.what());
  }
}

}  // namespace seltool::cli
