#include "cli/os/reopen.h"

namespace seltool::cli {

UniqueFd reopen_nonblocking(int) { return UniqueFd(); }

}  // namespace seltool::cli
