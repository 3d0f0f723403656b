// What seltool does to its process before anything else (the first call in main()).
#pragma once

namespace seltool::cli {

// Makes sure descriptors 0, 1 and 2 are open (to /dev/null where closed), so that nothing
// seltool opens later takes one of their numbers (a target opened as descriptor 1 would get
// the events written into it), then installs the signal handlers of stop_signals.h. Ends
// seltool with exit 125 when /dev/null cannot be opened.
void prepare_process();

}  // namespace seltool::cli
