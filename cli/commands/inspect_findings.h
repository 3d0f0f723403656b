// `seltool inspect`'s answer to "why is this process stuck?": what each thread waits on, each
// epoll descriptor's interest list joined with readiness now, and findings that name what is
// wrong (docs/cli.md, "Debugging a running program"). Built from two looks at the process a
// short time apart, because some findings (a descriptor writable the whole time, a send queue
// that does not drain) need two.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/os/epoll_interest.h"
#include "cli/os/process.h"
#include "cli/os/thread_waits.h"
#include "cli/output/json_lines.h"

namespace seltool::cli {

// One look at a process.
struct InspectSample {
  std::vector<DescriptorSnapshot> descriptors;
  std::vector<ThreadWait> threads;
  std::map<int, std::vector<EpollRegistration>> interest;  // by epoll descriptor

  const DescriptorSnapshot* descriptor(int fd) const;
};

// Descriptors (all, or only `only`), then threads, then the interest list of each epoll
// descriptor among them.
InspectSample take_sample(const Process& process, const std::vector<int>& only);

struct Finding {
  std::string kind;  // "unwatched_input", "stale_registration", "writable_watched"...
  std::vector<int> fds;
  std::vector<int> tids;
  std::string message;  // what is wrong, one line
  std::string next;     // what to look at next, one line
};

// The findings of `first` and `second`, a later look (the same one when only one was taken:
// then the findings that need two looks are left out).
std::vector<Finding> find_problems(const Process& process, const InspectSample& first,
                                   const InspectSample& second, bool two_looks);

// The "interest" array of epoll descriptor `epfd`'s line.
Json interest_json(const InspectSample& sample, int epfd);
// The summary's "threads" array (with "ran_during_sample" when there were two looks).
Json threads_json(const InspectSample& first, const InspectSample& second, bool two_looks);
// The summary's "findings" array.
Json findings_json(const std::vector<Finding>& findings);
// The text format's threads table and verdict, after the descriptor table.
std::string threads_and_verdict_text(const InspectSample& first,
                                     const std::vector<Finding>& findings);

}  // namespace seltool::cli
