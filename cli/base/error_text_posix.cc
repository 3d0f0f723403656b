#include <cstring>

#include "cli/base/error_info.h"

namespace seltool::cli {

std::string error_text(int errnum) { return std::strerror(errnum); }

}  // namespace seltool::cli
