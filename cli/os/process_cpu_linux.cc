// Linux: fields 14 and 15 of /proc/PID/stat (utime, stime), in clock ticks.
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli/base/usage_error.h"
#include "cli/os/process_cpu.h"

namespace seltool::cli {

double process_cpu_seconds(long pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::ifstream stat(path);
  const std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const std::size_t end_of_name = text.rfind(')');  // the command name may hold spaces
  if (end_of_name == std::string::npos) {
    throw UsageError("--server-pid " + std::to_string(pid) + ": cannot read " + path +
                     " (no such process?)");
  }
  std::istringstream fields(text.substr(end_of_name + 1));
  std::string field;
  double ticks = 0;
  for (int number = 3; number <= 15 && fields >> field; ++number) {
    if (number >= 14) ticks += std::stod(field);
  }
  return ticks / double(::sysconf(_SC_CLK_TCK));
}

}  // namespace seltool::cli
