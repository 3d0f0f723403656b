// seltool selectors: which backends this build has, which work on this machine, which is the
// default. One JSON object on one line.
#include <CLI/CLI.hpp>

#include "cli/base/exit_codes.h"
#include "cli/commands/commands.h"
#include "cli/help/help_model.h"
#include "cli/output/json_lines.h"
#include "lib/selectors.h"

namespace seltool::cli {
namespace {

// How far each backend's code has been exercised by this project (docs/platforms.md).
std::string_view how_tested(std::string_view backend) {
  if (backend == "kqueue") {
    return "compile-checked; run only over a kqueue emulation on Linux, never on a BSD or macOS "
           "kernel";
  }
  if (backend == "devpoll") {
    return "compile-checked; run only over a /dev/poll emulation on Linux, never on an illumos or "
           "Solaris kernel";
  }
  if (backend == "afd") {
    return "Windows only; its tests and seltool.exe's ran under wine, never on real Windows";
  }
  if (backend == "select") {
    return "full test suite on Linux; the Windows variant runs its tests under wine";
  }
  return "full test suite on Linux";
}

// How the backend differs from the others (BackendTraits in lib/selectors.h), by the names
// the library gives them.
Json traits_json(const BackendTraits& traits) {
  return Json{{"has_kernel_object", traits.has_kernel_object},
              {"refuses_closed_descriptors", traits.refuses_closed_descriptors},
              {"reports_closed_descriptors", traits.reports_closed_descriptors},
              {"select_fails_on_closed_descriptors", traits.select_fails_on_closed_descriptors},
              {"watches_regular_files", traits.watches_regular_files},
              {"modify_reaches_kernel", traits.modify_reaches_kernel},
              {"keys_by_open_file", traits.keys_by_open_file},
              {"reports_hangup", traits.reports_hangup},
              {"limited_to_fd_setsize", traits.limited_to_fd_setsize},
              {"may_report_past_readiness", traits.may_report_past_readiness},
              {"may_report_a_descriptor_twice", traits.may_report_a_descriptor_twice}};
}

int run_selectors() {
  Json list = Json::array();
  for (const BackendInfo& backend : backends()) {
    Json entry{{"name", backend.name},
               {"compiled", backend.compiled},
               {"usable", backend.usable},
               {"tested", how_tested(backend.name)}};
    if (!backend.usable) entry["reason"] = backend.reason;
    if (backend.traits.limited_to_fd_setsize) entry["fd_setsize"] = select_fd_setsize();
    if (backend.compiled) entry["traits"] = traits_json(backend.traits);  // known when built in
    list.push_back(std::move(entry));
  }
  JsonLines::write_line(Json{{"default", default_selector_name()}, {"backends", std::move(list)}});
  return kExitOk;
}

}  // namespace

void add_selectors_command(CLI::App& app, Invocation& invocation) {
  CLI::App* command = app.add_subcommand(
      "selectors", "Print which selector backends exist here and which is the default (JSON)");
  document_exit_codes(*command, {{kExitOk, "the list was written"},
                                 {kExitUsage, "usage error: unexpected argument"},
                                 {kExitInternal, "seltool itself failed (e.g. stdout closed)"}});
  command->callback([&invocation] { invocation.run = run_selectors; });
}

}  // namespace seltool::cli
