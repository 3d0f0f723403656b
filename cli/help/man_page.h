// The manual page seltool(1), in roff (man macros), rendered from the program's CLI11
// definition (help_model.h): `seltool help --man`, installed as share/man/man1/seltool.1.
#pragma once

#include <string>

#include "cli/help/help_model.h"

namespace seltool::cli {

std::string man_page(const CommandDoc& program);

}  // namespace seltool::cli
