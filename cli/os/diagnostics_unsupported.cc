// Systems other than Linux: no diagnostics yet (their queries differ: SO_NWRITE on macOS,
// FIONWRITE on FreeBSD), so events carry none.
#include "cli/os/diagnostics.h"

namespace seltool::cli {

Diagnostics diagnose(int) { return {}; }
Diagnostics diagnose(int, unsigned, bool) { return {}; }
Diagnostics diagnose_tcp(int, const TcpFigures&, bool) { return {}; }

}  // namespace seltool::cli
