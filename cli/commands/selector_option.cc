#include "cli/commands/selector_option.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "cli/base/backend_choice.h"
#include "cli/help/help_model.h"

namespace seltool::cli {

CLI::Option* add_selector_option(CLI::App& command, std::string& name) {
  const char* from_environment = std::getenv(kSelectorEnvironment);
  name = from_environment && *from_environment ? from_environment : "default";
  return command
      .add_option(
          "-s,--selector", name,
          std::string("backend: default, select, poll, epoll, io_uring, kqueue, devpoll or afd "
                      "(default: $") +
              kSelectorEnvironment + " or 'default')")
      ->type_name("NAME")
      ->check(documented_choices(compiled_selector_names()));
}

}  // namespace seltool::cli
