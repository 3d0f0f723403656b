// seltool completion SHELL: prints the bash, zsh or fish completion script, generated from
// seltool's own command-line definition (see completion.h).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "cli/base/exit_codes.h"
#include "cli/base/usage_error.h"
#include "cli/commands/commands.h"
#include "cli/help/completion.h"
#include "cli/help/help_model.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {
namespace {

int run_completion(const CLI::App& program, const std::string& shell) {
  const std::vector<std::string>& shells = completion_shells();
  if (std::find(shells.begin(), shells.end(), shell) == shells.end()) {
    throw UsageError("unknown shell '" + shell + "': expected bash, zsh or fish");
  }
  write_stdout(completion_script(describe(program), shell));
  return kExitOk;
}

}  // namespace

void add_completion_command(CLI::App& app, Invocation& invocation) {
  auto shell = std::make_shared<std::string>();
  CLI::App* command =
      app.add_subcommand("completion", "Print the completion script of SHELL for seltool");
  command->add_option("SHELL", *shell, "bash, zsh or fish")
      ->type_name("")
      ->required()
      ->check(documented_choices(completion_shells()));
  command->footer(
      "An installed seltool has them in place already. To load one into the running shell:\n"
      "  bash: source <(seltool completion bash)\n"
      "  zsh:  source <(seltool completion zsh)   (after compinit)\n"
      "  fish: seltool completion fish | source");
  document_exit_codes(*command, {{kExitOk, "the script was written"},
                                 {kExitUsage, "unknown SHELL"},
                                 {kExitInternal, "stdout cannot be written"}});
  command->callback([&app, &invocation, shell] {
    invocation.run = [&app, shell] { return run_completion(app, *shell); };
  });
}

}  // namespace seltool::cli
