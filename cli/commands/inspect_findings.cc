// Findings of `seltool inspect` (see inspect_findings.h): pure logic over two samples, and the
// fields and text that show threads, interest lists and findings.
#include "cli/commands/inspect_findings.h"

#include <algorithm>
#include <cstdio>

#include "cli/base/usage_error.h"
#include "cli/output/text_lines.h"
#include "cli/targets/event_fields.h"

namespace seltool::cli {
namespace {

bool contains(const std::vector<int>& numbers, int number) {
  return std::find(numbers.begin(), numbers.end(), number) != numbers.end();
}

std::string join(const std::vector<std::string>& words, const char* separator) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : separator) + word;
  return text;
}

std::string names_of(Events events) {
  std::vector<std::string> names;
  for (const Json& name : event_names(events)) names.push_back(name.get<std::string>());
  return join(names, ",");
}

std::string milliseconds(double ms) {
  char text[32];
  if (ms >= 1000) {
    std::snprintf(text, sizeof text, "%.1fs", ms / 1000);
  } else {
    std::snprintf(text, sizeof text, "%.0fms", ms);
  }
  return text;
}

// Kinds whose readiness says something is waiting for the process (regular files, directories
// and devices are always ready; an epoll descriptor is ready for the descriptors it holds, which
// are judged themselves).
bool can_have_input(const DescriptorSnapshot& seen) {
  static const char* const kNever[] = {"file",  "dir",        "device", "other",
                                       "pidfd", "perf_event", "epoll"};
  if (seen.inaccessible || seen.access == "write") return false;
  return std::none_of(std::begin(kNever), std::end(kNever),
                      [&](const char* kind) { return seen.kind == kind; });
}

// Data or a connection waits: readable, with bytes unread where the kernel counts them (an end
// of stream alone, such as stdin at its end, is no input), or a connection to accept.
bool has_input(const DescriptorSnapshot* seen) {
  if (!seen || !can_have_input(*seen) || !(seen->events & EVENT_READ)) return false;
  const Diagnostics& found = seen->diagnostics;
  if (found.accept_queue) return *found.accept_queue > 0;
  return !found.unread || *found.unread > 0;
}

// "fd 7 (tcp 127.0.0.1:8080 <- 127.0.0.1:41000)"
std::string describe(const DescriptorSnapshot& seen) {
  std::string text = "fd " + std::to_string(seen.fd) + " (" + seen.kind;
  if (!seen.local.empty()) text += " " + seen.local;
  if (!seen.peer.empty()) text += " <- " + seen.peer;
  return printable(text + ")");
}

// What waits on a descriptor with input: "6 bytes unread", "2 connections to accept"...
std::string input_of(const DescriptorSnapshot& seen) {
  const Diagnostics& found = seen.diagnostics;
  if (found.accept_queue && *found.accept_queue) {
    return std::to_string(*found.accept_queue) + " connection(s) waiting to be accepted";
  }
  if (found.unread && *found.unread) return std::to_string(*found.unread) + " byte(s) unread";
  if (seen.kind.rfind("unix", 0) == 0 && seen.peer.empty() && !found.unread) {
    return "a connection waiting to be accepted";
  }
  return "input waiting";
}

// The threads that watch descriptor `fd` for `events`: in an epoll set they wait on, a poll or
// select set they passed, or as the argument of the call they are blocked in (read, accept...).
// `anyone` is set when something of the process watches it at all (an epoll set nobody waits
// on included).
std::vector<int> watchers(const InspectSample& sample, int fd, Events events, bool& anyone) {
  std::vector<int> tids;
  anyone = false;
  for (const auto& [epfd, registrations] : sample.interest) {
    const bool registered =
        std::any_of(registrations.begin(), registrations.end(), [&](const EpollRegistration& r) {
          return r.fd == fd && r.status == "open" && (r.events() & events);
        });
    if (!registered) continue;
    anyone = true;
    for (const ThreadWait& thread : sample.threads) {
      if (contains(thread.fds, epfd)) tids.push_back(thread.tid);
    }
  }
  for (const ThreadWait& thread : sample.threads) {
    const bool in_set =
        std::any_of(thread.watched.begin(), thread.watched.end(),
                    [&](const WatchedDescriptor& w) { return w.fd == fd && (w.events & events); });
    if (in_set || contains(thread.fds, fd)) {
      anyone = true;
      tids.push_back(thread.tid);
    }
  }
  return tids;
}

bool all_asleep(const InspectSample& sample) {
  return !sample.threads.empty() &&
         std::all_of(sample.threads.begin(), sample.threads.end(),
                     [](const ThreadWait& thread) { return thread.asleep(); });
}

std::vector<int> all_tids(const InspectSample& sample) {
  std::vector<int> tids;
  for (const ThreadWait& thread : sample.threads) tids.push_back(thread.tid);
  return tids;
}

// Why seltool cannot see everything the process watches, "" when it can.
std::string blind_spot(const InspectSample& sample) {
  for (const ThreadWait& thread : sample.threads) {
    if (thread.error) return "what thread " + std::to_string(thread.tid);
  }
  for (const DescriptorSnapshot& seen : sample.descriptors) {
    if (seen.kind == "io_uring") return "io_uring's requests";
  }
  return "";
}

std::string pid_of(const Process& process) { return std::to_string(process.pid()); }

}  // namespace

const DescriptorSnapshot* InspectSample::descriptor(int fd) const {
  for (const DescriptorSnapshot& seen : descriptors) {
    if (seen.fd == fd) return &seen;
  }
  return nullptr;
}

InspectSample take_sample(const Process& process, const std::vector<int>& only) {
  InspectSample sample;
  sample.descriptors = process.snapshot(only);
  sample.threads = thread_waits(process.pid());
  for (const DescriptorSnapshot& seen : sample.descriptors) {
    if (seen.kind == "epoll") sample.interest[seen.fd] = interest_list(process.pid(), seen.fd);
  }
  return sample;
}

std::vector<Finding> find_problems(const Process& process, const InspectSample& first,
                                   const InspectSample& second, bool two_looks) {
  std::vector<Finding> findings;
  const std::string pid = pid_of(process);
  const bool asleep = all_asleep(first) && all_asleep(second);
  const std::string blind = blind_spot(first);
  std::vector<int> waiting;  // descriptors with input in both looks

  for (const DescriptorSnapshot& seen : first.descriptors) {
    if (!has_input(&seen) || !has_input(second.descriptor(seen.fd))) continue;
    waiting.push_back(seen.fd);
    bool watched = false;
    watchers(first, seen.fd, EVENT_READ, watched);
    if (watched || !asleep || !blind.empty()) continue;
    findings.push_back(
        {"unwatched_input",
         {seen.fd},
         all_tids(first),
         describe(seen) + " has " + input_of(seen) +
             ", and no epoll set, poll, select or blocked call of the process watches it while "
             "every thread sleeps",
         "find where the program stopped watching fd " + std::to_string(seen.fd) +
             " (an unregister, or a modify without read interest); `seltool watch pid:" + pid +
             ":" + std::to_string(seen.fd) + "` shows when it is read"});
  }

  for (const auto& [epfd, registrations] : first.interest) {
    std::vector<int> tids;
    for (const ThreadWait& thread : first.threads) {
      if (contains(thread.fds, epfd)) tids.push_back(thread.tid);
    }
    for (const EpollRegistration& registration : registrations) {
      if (registration.status == "open") continue;
      const std::string fd = std::to_string(registration.fd);
      findings.push_back(
          {"stale_registration",
           {epfd, registration.fd},
           tids,
           "epoll fd " + std::to_string(epfd) + " still has a registration for fd " + fd +
               (registration.status == "not_open"
                    ? ", which the process closed (the kernel keeps it while a duplicate of "
                      "the file is open, and still reports its events)"
                    : ", whose number now names another file than the one registered"),
           "remove registrations (EPOLL_CTL_DEL) before close(); look for a dup(), fork() or "
           "SCM_RIGHTS copy that keeps the old file of fd " +
               fd + " open"});
    }
  }

  if (two_looks) {
    for (const DescriptorSnapshot& seen : first.descriptors) {
      const DescriptorSnapshot* later = second.descriptor(seen.fd);
      if (!later || seen.inaccessible || later->inaccessible) continue;
      bool watched = false;
      // Level-triggered interest in writing: an edge-triggered one reports the edge once.
      std::vector<int> tids = watchers(first, seen.fd, EVENT_WRITE, watched);
      const bool level =
          std::any_of(first.interest.begin(), first.interest.end(), [&](const auto& entry) {
            return std::any_of(
                entry.second.begin(), entry.second.end(), [&](const EpollRegistration& r) {
                  return r.fd == seen.fd && (r.events() & EVENT_WRITE) && !r.edge_triggered();
                });
          });
      const bool in_set =
          std::any_of(first.threads.begin(), first.threads.end(), [&](const ThreadWait& thread) {
            return std::any_of(thread.watched.begin(), thread.watched.end(),
                               [&](const WatchedDescriptor& w) {
                                 return w.fd == seen.fd && (w.events & EVENT_WRITE);
                               });
          });
      if ((level || in_set) && (seen.events & EVENT_WRITE) && (later->events & EVENT_WRITE)) {
        findings.push_back(
            {"writable_watched",
             {seen.fd},
             tids,
             describe(seen) +
                 " is watched for writing and was writable in both looks: each wait returns at "
                 "once for it (a busy loop unless there is output to send)",
             "watch fd " + std::to_string(seen.fd) +
                 " for writing only while output is queued (drop write interest when the buffer "
                 "empties)"});
      }
      const auto unsent = [](const DescriptorSnapshot& d) {
        return d.diagnostics.unsent.value_or(0);
      };
      if (seen.kind.find("tcp") == 0 || seen.kind.find("unix") == 0) {
        if (unsent(seen) > 0 && unsent(*later) >= unsent(seen)) {
          findings.push_back(
              {"send_queue_stuck",
               {seen.fd},
               {},
               describe(seen) + " has " + std::to_string(unsent(*later)) +
                   " byte(s) unsent, not fewer than in the first look (" +
                   std::to_string(unsent(seen)) + "): the peer does not read, or the path stalls",
               "look at the peer: `seltool inspect` its process (its receive queue is probably "
               "full), or `ss -tni` for the window"});
        }
      }
    }
  }

  const auto forever = [](const InspectSample& sample) {
    return !sample.threads.empty() &&
           std::all_of(sample.threads.begin(), sample.threads.end(),
                       [](const ThreadWait& thread) { return thread.waits_forever(); });
  };
  if (!waiting.empty() && blind.empty() && forever(first) && forever(second)) {
    std::vector<std::string> fds;
    for (int fd : waiting) fds.push_back(std::to_string(fd));
    findings.push_back(
        {"asleep_without_timeout", waiting, all_tids(first),
         "every thread sleeps without a timeout while " +
             (fds.size() == 1 ? "fd " + fds[0] + " has" : "fds " + join(fds, ", ") + " have") +
             " input waiting: nothing in the process will handle it",
         "see what each thread waits on (threads above): an epoll set nobody waits on, an "
         "edge-triggered registration whose edge was missed, or a descriptor never watched"});
  }
  return findings;
}

Json interest_json(const InspectSample& sample, int epfd) {
  Json list = Json::array();
  const auto found = sample.interest.find(epfd);
  if (found == sample.interest.end()) return list;
  for (const EpollRegistration& registration : found->second) {
    char data[24];
    std::snprintf(data, sizeof data, "0x%llx", static_cast<unsigned long long>(registration.data));
    Json entry{{"fd", registration.fd},
               {"events", interest_event_names(registration.mask)},
               {"data", data},
               {"status", registration.status}};
    const DescriptorSnapshot* seen = sample.descriptor(registration.fd);
    if (registration.status == "open" && seen && !seen->inaccessible && !seen->proc_only) {
      entry["ready"] = event_names(seen->events, seen->hup, seen->error);
    }
    list.push_back(entry);
  }
  return list;
}

Json threads_json(const InspectSample& first, const InspectSample& second, bool two_looks) {
  Json list = Json::array();
  for (const ThreadWait& thread : first.threads) {
    Json entry{{"tid", thread.tid}, {"comm", thread.comm}, {"state", thread.state}};
    if (thread.in_syscall) {
      if (!thread.syscall.empty()) entry["syscall"] = thread.syscall;
      entry["syscall_nr"] = thread.syscall_nr;
      if (!thread.fds.empty()) entry["fds"] = thread.fds;
      if (thread.has_timeout) {
        entry["timeout_ms"] = thread.timeout_ms ? Json(*thread.timeout_ms) : Json(nullptr);
      }
    }
    if (!thread.watched.empty()) {
      Json watched = Json::array();
      for (const WatchedDescriptor& w : thread.watched) {
        watched.push_back({{"fd", w.fd}, {"events", event_names(w.events)}});
      }
      entry["watched"] = watched;
    }
    if (thread.error) entry["error"] = error_json(*thread.error);
    if (!thread.wchan.empty()) entry["wchan"] = thread.wchan;
    if (thread.asleep_ms) entry["asleep_ms"] = *thread.asleep_ms;
    if (two_looks) {
      const auto later = std::find_if(second.threads.begin(), second.threads.end(),
                                      [&](const ThreadWait& t) { return t.tid == thread.tid; });
      entry["ran_during_sample"] = later == second.threads.end() ||
                                   later->switches != thread.switches || !later->asleep() ||
                                   !thread.asleep();
    }
    list.push_back(entry);
  }
  return list;
}

Json findings_json(const std::vector<Finding>& findings) {
  Json list = Json::array();
  for (const Finding& finding : findings) {
    list.push_back({{"kind", finding.kind},
                    {"fds", finding.fds},
                    {"tids", finding.tids},
                    {"message", finding.message},
                    {"next", finding.next}});
  }
  return list;
}

std::string threads_and_verdict_text(const InspectSample& first,
                                     const std::vector<Finding>& findings) {
  std::vector<std::vector<std::string>> table{
      {"TID", "COMM", "STATE", "WAITING IN", "WATCHES", "ASLEEP"}};
  for (const ThreadWait& thread : first.threads) {
    std::string call = "-";
    if (thread.in_syscall) {
      std::vector<std::string> args;
      for (int fd : thread.fds) args.push_back("fd " + std::to_string(fd));
      if (thread.has_timeout) {
        args.push_back(thread.timeout_ms ? "timeout " + milliseconds(*thread.timeout_ms)
                                         : "no timeout");
      }
      call = (thread.syscall.empty() ? "syscall " + std::to_string(thread.syscall_nr)
                                     : thread.syscall) +
             "(" + join(args, ", ") + ")";
    }
    std::vector<std::string> watches;
    for (const WatchedDescriptor& w : thread.watched) {
      watches.push_back(std::to_string(w.fd) + ":" + names_of(w.events));
    }
    for (int fd : thread.fds) {
      if (!first.interest.count(fd) || thread.syscall.rfind("epoll_", 0) != 0) continue;
      for (const EpollRegistration& r : first.interest.at(fd)) {
        watches.push_back(std::to_string(r.fd) + ":" + names_of(r.events()) +
                          (r.status == "open" ? "" : "(" + r.status + ")"));
      }
    }
    if (thread.error) watches.push_back("? (" + thread.error->message + ")");
    table.push_back({std::to_string(thread.tid), printable(thread.comm), thread.state, call,
                     watches.empty() ? "-" : join(watches, " "),
                     thread.asleep_ms ? milliseconds(*thread.asleep_ms) : "-"});
  }
  std::string text = "\n" + aligned_table(table);
  text += "\nverdict: ";
  if (findings.empty()) return text + "nothing found wrong\n";
  text += std::to_string(findings.size()) + " finding(s)\n";
  for (const Finding& finding : findings) {
    text += "  " + finding.kind + ": " + finding.message + "\n    next: " + finding.next + "\n";
  }
  return text;
}

}  // namespace seltool::cli
