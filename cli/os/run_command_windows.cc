// Windows has no exec(): the command runs as a child and seltool exits with its exit code.
#include <errno.h>
#include <process.h>

#include <cstdio>
#include <cstring>

#include "cli/base/error_info.h"
#include "cli/base/exit_codes.h"
#include "cli/base/usage_error.h"
#include "cli/os/run_command.h"

namespace seltool::cli {
namespace {

// One argument as the C runtime's command-line parser splits it back (_spawnvp joins its
// arguments with spaces and quotes nothing): quotes around it when it has a space, tab or
// quote, a backslash before each quote, and doubled backslashes before a quote.
std::string quoted_argument(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\"") == std::string::npos) return word;
  std::string text = "\"";
  std::size_t backslashes = 0;
  for (char c : word) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    text.append(c == '"' ? backslashes * 2 + 1 : backslashes, '\\');
    backslashes = 0;
    text += c;
  }
  text.append(backslashes * 2, '\\');
  return text + '"';
}

}  // namespace

int run_command(const std::vector<std::string>& command) {
  std::vector<std::string> words;
  for (const std::string& word : command) words.push_back(quoted_argument(word));
  std::vector<const char*> argv;
  for (const std::string& word : words) argv.push_back(word.c_str());
  argv.push_back(nullptr);
  std::fflush(nullptr);  // our lines first
  const intptr_t status = ::_spawnvp(_P_WAIT, command[0].c_str(), argv.data());
  if (status != -1) return int(status);
  const int errnum = errno;
  print_diagnostic("cannot run '" + command[0] + "': " + error_text(errnum));
  return errnum == ENOENT ? kExitNotFound : kExitCannotExec;
}

}  // namespace seltool::cli
