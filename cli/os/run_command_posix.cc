#include <errno.h>
#include <unistd.h>

#include <cstring>

#include "cli/base/exit_codes.h"
#include "cli/base/usage_error.h"
#include "cli/os/run_command.h"

namespace seltool::cli {

int run_command(const std::vector<std::string>& command) {
  std::vector<char*> argv;
  for (const std::string& word : command) argv.push_back(const_cast<char*>(word.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  const int errnum = errno;
  print_diagnostic("cannot run '" + command[0] + "': " + std::strerror(errnum));
  return errnum == ENOENT || errnum == ENOTDIR ? kExitNotFound : kExitCannotExec;
}

}  // namespace seltool::cli
