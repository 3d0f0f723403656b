// The CPU time another process has used, for `seltool load --server-pid`. Linux reads
// utime + stime from /proc/PID/stat (process_cpu_linux.cc); elsewhere (process_cpu_unsupported.cc)
// asking is a usage error.
#pragma once

namespace seltool::cli {

// Seconds of CPU (user + system) process `pid` has used so far. Throws UsageError when there is
// no such process (checked before a run), or when the OS cannot tell.
double process_cpu_seconds(long pid);

}  // namespace seltool::cli
