// Whether stderr is a terminal: `seltool load` then keeps a live progress line there.
#pragma once

namespace seltool::cli {

bool stderr_is_terminal();

}  // namespace seltool::cli
