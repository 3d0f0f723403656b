// seltool selectors: which backends this build has, which work on this machine, which is the
// default. One JSON object on one line.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/json_lines.h"
#include "lib/selectors.h"

namespace seltool::cli {
namespace {

int run_selectors() {
  Json list = Json::array();
  for (const BackendInfo& backend : backends()) {
    Json entry{{"name", backend.name}, {"compiled", backend.compiled}, {"usable", backend.usable}};
    if (!backend.usable) entry["reason"] = backend.reason;
    if (backend.name == "select") entry["fd_setsize"] = select_fd_setsize();
    list.push_back(std::move(entry));
  }
  JsonLines::write_line(Json{{"default", default_selector_name()}, {"backends", std::move(list)}});
  return kExitOk;
}

}  // namespace

void add_selectors_command(CLI::App& app, Invocation& invocation) {
  CLI::App* command = app.add_subcommand(
      "selectors", "Print which selector backends exist here and which is the default (JSON)");
  command->callback([&invocation] { invocation.run = run_selectors; });
}

}  // namespace seltool::cli
