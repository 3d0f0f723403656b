// Model-based test of the selectors library: random sequences of register, modify,
// unregister, select(0) (with changes made during the iteration of its result, as callbacks
// do), close and reopen of the selector, and of pipe creation, writes, reads, descriptor
// closes and number reuse (dup2, new pipes taking freed numbers), run against every compiled
// backend and checked after every step against a small model of the contract in
// lib/selectors.h (Python's semantics plus the documented deviations: checks in a fixed
// order, masks always validated, no change on failure, stale entries skipped).
//
// Readiness is modelled only where it is deterministic: pipes with a few bytes in them (never
// full). A read end is readable when bytes wait or no write end is open (hangup); a write end
// is writable, and in error when no read end is open. Registered descriptors that were closed
// behave as each backend's traits say (the model asks the traits, never the name): select()
// fails with EBADF on the select backend, poll reports POLLNVAL (readiness for the events
// asked for), and epoll watches the open file, not the number, so it keeps reporting while a
// dup of the file lives on. Backends that refuse closed descriptors without epoll's keying
// (kqueue, io_uring, /dev/poll) follow the poll rules for registrations whose descriptor was
// left alone; once a registered descriptor is closed or its number reused, what the kernel
// does with that registration is left open (kqueue drops the filters, io_uring's armed poll
// keeps the file open and a re-armed one polls whatever the number names), and so is the
// readiness of a pipe one of whose ends was closed for good after one of them was
// registered (an io_uring poll may keep it open, so the peer sees no hangup). kqueue may
// refuse write interest in a pipe end whose peer is gone (FreeBSD: EPIPE). A backend that
// may report past readiness (io_uring: a poll completes when readiness begins, maybe
// between two select() calls) may report a registration that is no longer ready, or with
// the events it had then; every registration that is ready is still reported.
//
// A failure prints the shortest sequence found that still fails (delta debugging: steps are
// removed while the failure stays), replayed with every step spelled out.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <any>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "lib/selectors.h"
#include "lib/unique_fd.h"
#include "tests/support/descriptors.h"

#ifndef MODEL_RUNS
#define MODEL_RUNS 40  // seeds per backend in `bazel test //...`; model_test_long runs more
#endif
#ifndef MODEL_STEPS
#define MODEL_STEPS 150
#endif

namespace seltool::testing {
namespace {

// ---------------------------------------------------------------------------------------
// Sequences: steps whose parameters are raw random numbers, resolved against the state when
// the step runs (an index modulo the candidates), so that any subsequence still runs.

enum class Kind {
  kNewPipe,
  kCloseFd,
  kDup2,
  kWrite,
  kRead,
  kRegister,
  kModify,
  kUnregister,
  kSelect,  // select(0), then nested steps run at the entries reached (when the selector
            // is closed: select(0), which throws, then a new selector)
  kCloseSelector,
  kNewSelector,
};

// A select step runs its nested steps at the entries it reaches, this many at each.
constexpr int kActionsPerEntry = 2;

struct Step {
  Kind kind = Kind::kNewPipe;
  std::uint32_t a = 0, b = 0, c = 0;
  std::vector<Step> nested;  // kSelect only
};

using Sequence = std::vector<Step>;

Step random_step(std::mt19937& random, bool nested) {
  // Weights per kind, in the order of Kind. Nested steps (run while a result is iterated)
  // neither select nor reopen, and mostly change registrations.
  const std::vector<int> weights = nested ? std::vector<int>{2, 4, 3, 4, 3, 20, 20, 20, 0, 1, 0}
                                          : std::vector<int>{6, 7, 6, 12, 8, 20, 12, 10, 15, 1, 1};
  std::discrete_distribution<int> pick(weights.begin(), weights.end());
  Step step;
  step.kind = Kind(pick(random));
  step.a = std::uint32_t(random());
  step.b = std::uint32_t(random());
  step.c = std::uint32_t(random());
  if (step.kind == Kind::kSelect) {
    const int actions = std::uniform_int_distribution<int>(0, 6)(random);
    for (int i = 0; i < actions; ++i) step.nested.push_back(random_step(random, true));
  }
  return step;
}

Sequence random_sequence(std::uint32_t seed, int length) {
  std::mt19937 random(seed);
  Sequence sequence;
  for (int i = 0; i < length; ++i) sequence.push_back(random_step(random, false));
  return sequence;
}

// The event mask a step asks for: mostly valid, one in ten 0 or with a foreign bit.
Events mask_of(std::uint32_t raw) {
  static constexpr Events kValid[] = {EVENT_READ, EVENT_WRITE, EVENT_READ | EVENT_WRITE};
  static constexpr Events kInvalid[] = {0, 4, EVENT_READ | 8};
  if (raw % 10 == 0) return kInvalid[(raw / 10) % std::size(kInvalid)];
  return kValid[(raw / 10) % std::size(kValid)];
}

std::string mask_name(Events events) {
  if (events == EVENT_READ) return "READ";
  if (events == EVENT_WRITE) return "WRITE";
  if (events == (EVENT_READ | EVENT_WRITE)) return "READ|WRITE";
  return std::to_string(events);
}

// ---------------------------------------------------------------------------------------
// Outcomes of a library call, as the contract names them.

struct Outcome {
  enum Type { kOk, kInvalid, kNotRegistered, kAlreadyRegistered, kClosed, kSystem, kOther };
  Type type = kOk;
  int error = 0;  // kSystem: the errno; 0 = any
  std::string what;

  bool matches(const Outcome& expected) const {
    return type == expected.type &&
           (type != kSystem || expected.error == 0 || error == expected.error);
  }
  std::string describe() const {
    static const char* const kNames[] = {"ok",
                                         "std::invalid_argument",
                                         "not_registered",
                                         "already_registered",
                                         "selector_closed",
                                         "std::system_error",
                                         "another exception"};
    std::string text = kNames[type];
    if (type == kSystem && error)
      text += " " + std::error_code(error, std::generic_category()).message();
    if (!what.empty()) text += " (" + what + ")";
    return text;
  }
};

Outcome ok() { return {}; }
Outcome fails(Outcome::Type type, int error = 0) { return {type, error, {}}; }

template <typename Action>
Outcome outcome_of(Action&& action) {
  try {
    action();
    return ok();
  } catch (const selector_closed& e) {
    return {Outcome::kClosed, 0, e.what()};
  } catch (const not_registered& e) {
    return {Outcome::kNotRegistered, 0, e.what()};
  } catch (const already_registered& e) {
    return {Outcome::kAlreadyRegistered, 0, e.what()};
  } catch (const std::invalid_argument& e) {
    return {Outcome::kInvalid, 0, e.what()};
  } catch (const std::system_error& e) {
    return {Outcome::kSystem, e.code().value(), e.what()};
  } catch (const std::exception& e) {
    return {Outcome::kOther, 0, e.what()};
  }
}

// ---------------------------------------------------------------------------------------
// The run: real descriptors and selector, the model beside them.

// An open file of the test: one end of one of its pipes. Pipe numbers are never reused.
struct File {
  int pipe = -1;
  bool write_end = false;
  bool operator<(const File& o) const {
    return std::tie(pipe, write_end) < std::tie(o.pipe, o.write_end);
  }
  bool operator==(const File& o) const { return pipe == o.pipe && write_end == o.write_end; }
};

// Readiness of a file, as pipe_poll() reports it.
struct Readiness {
  bool in = false, out = false, hangup = false, error = false;
};

struct Registration {
  Events events;
  int data;
  int id;                  // unique per registration: what the library's generation tells apart
  bool disturbed = false;  // its descriptor was closed (or its number reused) since
};

// epoll's interest list: keyed by (descriptor number, open file), as the kernel keys it.
struct EpollItem {
  Events events;
  int registration;  // the id of the registration whose token the item carries
};

// What the runs exercised, printed by the test so that a generator that stopped reaching
// the interesting cases shows.
struct Stats {
  long steps = 0, selects = 0, entries = 0, skipped = 0, failed_calls = 0, system_errors = 0;
  void add(const Stats& o) {
    steps += o.steps, selects += o.selects, entries += o.entries, skipped += o.skipped;
    failed_calls += o.failed_calls, system_errors += o.system_errors;
  }
};

class Mismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Run {
 public:
  Run(std::string backend, std::ostream* log) : backend_(std::move(backend)), log_(log) {
    selector_ = make_selector(backend_);
    traits_ = selector_->traits();
  }

  // Runs every step; throws Mismatch at the first difference from the model.
  void run(const Sequence& sequence) {
    for (std::size_t i = 0; i < sequence.size(); ++i) {
      ++stats_.steps;
      step_number_ = std::to_string(i + 1);
      execute(sequence[i]);
      check_map();
    }
  }
  const Stats& stats() const { return stats_; }

 private:
  // ---- the test's descriptors ----

  enum class At { kClosed, kTest, kForeign };  // what a descriptor number is now
  At at(int fd) const {
    if (fd < 0) return At::kClosed;
    if (files_.count(fd)) return At::kTest;
    return ::fcntl(fd, F_GETFD) == -1 ? At::kClosed : At::kForeign;
  }

  int open_count(const File& file) const {
    int count = 0;
    for (const auto& [fd, open] : files_) count += open == file;
    return count;
  }

  Readiness readiness(const File& file) const {
    Readiness r;
    if (file.write_end) {
      r.out = true;  // a few bytes never fill a pipe
      r.error = open_count({file.pipe, false}) == 0;
    } else {
      r.in = bytes_[file.pipe] > 0;
      r.hangup = open_count({file.pipe, true}) == 0;
    }
    return r;
  }

  std::string name_of(int fd) const {
    std::string text = std::to_string(fd);
    switch (at(fd)) {
      case At::kClosed:
        return text + " (closed)";
      case At::kForeign:
        return text + " (not the test's)";
      case At::kTest:
        break;
    }
    const File& file = files_.at(fd);
    return text + " (pipe " + std::to_string(file.pipe) + (file.write_end ? " write" : " read") +
           ")";
  }

  // Forgets the epoll items of files no descriptor refers to any more (the kernel drops
  // them when the open file is released).
  void release_dead_files() {
    for (auto it = epoll_items_.begin(); it != epoll_items_.end();) {
      it = open_count(it->first.second) == 0 ? epoll_items_.erase(it) : std::next(it);
    }
  }

  void adopt(int fd, File file) {
    files_[fd] = file;
    seen_.insert(fd);
  }

  // The registration of `fd` (if any) loses its descriptor; the file it named may be gone.
  void disturb(int fd) {
    const auto registration = registered_.find(fd);
    if (registration != registered_.end()) registration->second.disturbed = true;
  }

  // After `file` lost a descriptor: a file watched by a kernel object that may hold it (an
  // io_uring poll) and now without descriptors leaves its pipe's readiness open.
  void note_released(const File& file) {
    if (tracks_files() && open_count(file) == 0 && watched_files_.count(file)) {
      uncertain_pipes_.insert(file.pipe);
    }
  }

  void close_fd(int fd) {
    disturb(fd);
    const auto file = files_.find(fd);
    const std::optional<File> closed =
        file == files_.end() ? std::nullopt : std::optional<File>(file->second);
    files_.erase(fd);
    owned_.erase(fd);
    if (closed) note_released(*closed);
    release_dead_files();
  }

  // A descriptor number for an operation on the selector. During the iteration of a select()
  // result, mostly one of the result's (the interesting changes); otherwise mostly a
  // registered one (`prefer_registered`: modify, unregister) or an unregistered one of the
  // test's (register), sometimes any number the test used (maybe closed) or -1.
  int choose_fd(std::uint32_t raw, bool prefer_registered) const {
    std::vector<int> candidates;
    if (!in_result_.empty() && raw % 3 != 0) {
      candidates = in_result_;
    } else if (raw % 4 != 0) {
      for (const auto& [fd, file] : files_) {
        if (registered_.count(fd) == prefer_registered) candidates.push_back(fd);
      }
      if (prefer_registered) {  // registered numbers that were closed or reused too
        for (const auto& [fd, registration] : registered_) {
          if (!files_.count(fd)) candidates.push_back(fd);
        }
      }
    }
    if (candidates.empty()) {
      for (int fd : seen_) {
        if (at(fd) != At::kForeign) candidates.push_back(fd);
      }
      candidates.push_back(-1);
    }
    return candidates[(raw / 12) % candidates.size()];
  }

  std::optional<int> choose_test_fd(std::uint32_t raw) const {
    if (files_.empty()) return std::nullopt;
    return std::next(files_.begin(), long(raw % files_.size()))->first;
  }

  // ---- steps ----

  void note(const std::string& text) {
    if (log_) *log_ << "  " << step_number_ << ". " << text << "\n";
  }

  [[noreturn]] void mismatch(const std::string& what) const {
    throw Mismatch("step " + step_number_ + ": " + what);
  }

  void expect(const Outcome& actual, const Outcome& expected, const std::string& call) {
    note(call + " -> " + actual.describe());
    stats_.failed_calls += actual.type != Outcome::kOk;
    stats_.system_errors += actual.type == Outcome::kSystem;
    if (!actual.matches(expected)) {
      mismatch(call + ": expected " + expected.describe() + ", got " + actual.describe());
    }
  }

  void execute(const Step& step) {
    switch (step.kind) {
      case Kind::kNewPipe:
        return new_pipe();
      case Kind::kCloseFd:
        return close_step(step);
      case Kind::kDup2:
        return dup2_step(step);
      case Kind::kWrite:
        return write_step(step);
      case Kind::kRead:
        return read_step(step);
      case Kind::kRegister:
        return register_step(step);
      case Kind::kModify:
        return modify_step(step);
      case Kind::kUnregister:
        return unregister_step(step);
      case Kind::kSelect:
        return select_step(step);
      case Kind::kCloseSelector:
        return close_selector();
      case Kind::kNewSelector:
        return new_selector();
    }
  }

  void new_pipe() {
    if (files_.size() >= 14) return note("(new pipe skipped: enough descriptors)");
    Pipe pipe = make_pipe();
    const int number = int(bytes_.size());
    bytes_.push_back(0);
    adopt(pipe.read_end.get(), {number, false});
    adopt(pipe.write_end.get(), {number, true});
    note("pipe " + std::to_string(number) + ": read end " + std::to_string(pipe.read_end.get()) +
         ", write end " + std::to_string(pipe.write_end.get()));
    owned_[pipe.read_end.get()] = std::move(pipe.read_end);
    owned_[pipe.write_end.get()] = std::move(pipe.write_end);
  }

  void close_step(const Step& step) {
    const std::optional<int> fd = choose_test_fd(step.a);
    if (!fd) return note("(close skipped: no descriptor)");
    note("close " + name_of(*fd));
    close_fd(*fd);
  }

  // dup2 of one of the test's descriptors onto a closed number (or onto another of the
  // test's, which closes that one first).
  void dup2_step(const Step& step) {
    const std::optional<int> source = choose_test_fd(step.a);
    if (!source) return note("(dup2 skipped: no descriptor)");
    std::vector<int> closed_numbers;
    for (int fd : seen_) {
      if (at(fd) == At::kClosed) closed_numbers.push_back(fd);
    }
    int target;
    if (!closed_numbers.empty() && step.b % 3 != 0) {
      target = closed_numbers[(step.b / 3) % closed_numbers.size()];
    } else {
      target = *choose_test_fd(step.b / 3);
    }
    if (target == *source) return note("(dup2 skipped: same descriptor)");
    note("dup2 " + name_of(*source) + " onto " + name_of(target));
    const File file = files_.at(*source);
    if (::dup3(*source, target, O_CLOEXEC) != target) mismatch("dup3 failed");
    owned_[target].release();  // dup3 closed it (if open): forget it without closing
    owned_[target] = UniqueFd(target);
    disturb(target);
    const auto replaced = files_.find(target);
    const std::optional<File> closed =
        replaced == files_.end() ? std::nullopt : std::optional<File>(replaced->second);
    files_.erase(target);
    adopt(target, file);
    if (closed) note_released(*closed);
    release_dead_files();
  }

  std::optional<int> end_of(std::uint32_t raw, bool write_end) const {
    std::vector<int> ends;
    for (const auto& [fd, file] : files_) {
      if (file.write_end == write_end) ends.push_back(fd);
    }
    if (ends.empty()) return std::nullopt;
    return ends[raw % ends.size()];
  }

  void write_step(const Step& step) {
    const std::optional<int> fd = end_of(step.a, true);
    if (!fd) return note("(write skipped: no write end)");
    const File file = files_.at(*fd);
    if (open_count({file.pipe, false}) == 0 || bytes_[file.pipe] > 1000) {
      return note("(write skipped: no reader, or enough bytes)");
    }
    const std::size_t size = 1 + step.b % 16;
    note("write " + std::to_string(size) + " bytes to " + name_of(*fd));
    write_all(*fd, std::string(size, 'x'));
    bytes_[file.pipe] += size;
  }

  void read_step(const Step& step) {
    const std::optional<int> fd = end_of(step.a, false);
    if (!fd) return note("(read skipped: no read end)");
    const File file = files_.at(*fd);
    if (bytes_[file.pipe] == 0) return note("(read skipped: nothing to read, it would block)");
    note("read everything from " + name_of(*fd));
    std::string buffer(bytes_[file.pipe] + 1, '\0');
    const ssize_t n = ::read(*fd, buffer.data(), buffer.size());
    if (n != ssize_t(bytes_[file.pipe])) mismatch("read returned " + std::to_string(n));
    bytes_[file.pipe] = 0;
  }

  static bool valid_mask(Events events) {
    return events != 0 && (events & ~(EVENT_READ | EVENT_WRITE)) == 0;
  }

  std::pair<int, File> item_key(int fd) const { return {fd, files_.at(fd)}; }

  void register_step(const Step& step) {
    const int fd = choose_fd(step.a, false);
    const Events events = mask_of(step.b);
    const int data = int(step.c % 1000);
    const std::string call = "register(" + name_of(fd) + ", " + mask_name(events) + ", data " +
                             std::to_string(data) + ")";

    Outcome expected = ok();
    std::optional<Outcome> alternative;  // what the backend may do instead
    if (closed_) {
      expected = fails(Outcome::kClosed);
    } else if (!valid_mask(events) || fd < 0) {
      expected = fails(Outcome::kInvalid);
    } else if (registered_.count(fd)) {
      expected = fails(Outcome::kAlreadyRegistered);
    } else if (tracks_files()) {
      if (at(fd) == At::kClosed) {
        expected = fails(Outcome::kSystem, EBADF);
      } else if (write_to_widowed_pipe(fd, events)) {
        alternative = fails(Outcome::kSystem, EPIPE);
      }
    } else if (epoll()) {
      if (at(fd) == At::kClosed) {
        expected = fails(Outcome::kSystem, EBADF);
      } else if (at(fd) == At::kForeign) {
        // A registered number that was closed is where a rebuilt epoll set's own descriptor
        // may land; unregistered during iteration, it is offered again: epoll cannot watch
        // itself.
        expected = fails(Outcome::kSystem, EINVAL);
      } else if (epoll_items_.count(item_key(fd))) {
        expected = fails(Outcome::kSystem, EEXIST);  // a stale item of this file and number
      }
    }

    const SelectorKey* key = nullptr;
    const Outcome actual = outcome_of([&] { key = &selector_->register_file(fd, events, data); });
    expect(actual, alternative && actual.matches(*alternative) ? *alternative : expected, call);
    if (actual.type != Outcome::kOk) return;
    if (key->fd != fd || key->events != events || std::any_cast<int>(key->data) != data) {
      mismatch(call + " returned a different key");
    }
    const int id = ++registrations_;
    registered_[fd] = {events, data, id};
    if (epoll()) epoll_items_[item_key(fd)] = {events, id};
    if (tracks_files()) watched_files_.insert(files_.at(fd));
  }

  void modify_step(const Step& step) {
    const int fd = choose_fd(step.a, true);
    // Half of the modifies keep the events and change only the data (no system call).
    const auto current = registered_.find(fd);
    const bool same_events = step.b % 2 == 0 && current != registered_.end();
    const Events events = same_events ? current->second.events : mask_of(step.b / 2);
    const int data = int(step.c % 1000);
    const std::string call =
        "modify(" + name_of(fd) + ", " + mask_name(events) + ", data " + std::to_string(data) + ")";

    Outcome expected = ok();
    std::optional<Outcome> alternative;  // what the backend may do instead
    if (closed_) {
      expected = fails(Outcome::kClosed);
    } else if (!valid_mask(events) || fd < 0) {
      expected = fails(Outcome::kInvalid);
    } else if (current == registered_.end()) {
      expected = fails(Outcome::kNotRegistered);
    } else if (tracks_files() && events != current->second.events) {
      if (current->second.disturbed && traits_.modify_reaches_kernel) {
        alternative = fails(Outcome::kSystem);  // any errno: the registration is left open
      } else if (traits_.modify_reaches_kernel &&
                 write_to_widowed_pipe(fd, events & ~current->second.events)) {
        alternative = fails(Outcome::kSystem, EPIPE);
      }
    } else if (epoll() && events != current->second.events) {
      if (at(fd) == At::kClosed) {
        expected = fails(Outcome::kSystem, EBADF);
      } else if (at(fd) == At::kForeign) {
        expected = fails(Outcome::kSystem, EINVAL);  // the selector's own epoll descriptor
      } else if (!epoll_items_.count(item_key(fd))) {
        expected = fails(Outcome::kSystem, ENOENT);  // the number now names another file
      }
    }

    const SelectorKey* key = nullptr;
    const Outcome actual = outcome_of([&] { key = &selector_->modify(fd, events, data); });
    expect(actual, alternative && actual.matches(*alternative) ? *alternative : expected, call);
    if (actual.type != Outcome::kOk) return;
    if (key->fd != fd || key->events != events || std::any_cast<int>(key->data) != data) {
      mismatch(call + " returned a different key");
    }
    current->second.events = events;
    current->second.data = data;
    if (epoll() && at(fd) == At::kTest) {
      const auto item = epoll_items_.find(item_key(fd));
      if (item != epoll_items_.end()) item->second = {events, current->second.id};
    }
  }

  void unregister_step(const Step& step) {
    const int fd = choose_fd(step.a, true);
    const std::string call = "unregister(" + name_of(fd) + ")";
    const auto current = registered_.find(fd);
    Outcome expected = ok();
    if (closed_) {
      expected = fails(Outcome::kClosed);
    } else if (fd < 0) {
      expected = fails(Outcome::kInvalid);
    } else if (current == registered_.end()) {
      expected = fails(Outcome::kNotRegistered);
    }

    std::optional<SelectorKey> removed;
    expect(outcome_of([&] { removed.emplace(selector_->unregister(fd)); }), expected, call);
    if (expected.type != Outcome::kOk) return;
    if (removed->fd != fd || removed->events != current->second.events ||
        std::any_cast<int>(removed->data) != current->second.data) {
      mismatch(call + " returned a different key");
    }
    registered_.erase(current);
    // EPOLL_CTL_DEL finds the item only while the number still names the registered file.
    if (epoll() && at(fd) == At::kTest) epoll_items_.erase(item_key(fd));
  }

  void close_selector() {
    note("close the selector");
    selector_->close();
    closed_ = true;
    registered_.clear();
    epoll_items_.clear();
  }

  void new_selector() {
    note("destroy the selector and make a new " + backend_ + " selector");
    selector_.reset();
    selector_ = make_selector(backend_);
    closed_ = false;
    registered_.clear();
    epoll_items_.clear();
  }

  // ---- select ----

  // epoll's rules: an interest list keyed by descriptor number and open file.
  bool epoll() const { return traits_.keys_by_open_file; }
  // The rules of kqueue, io_uring and /dev/poll (see the top of this file).
  bool tracks_files() const { return traits_.refuses_closed_descriptors && !epoll(); }

  // Whether `events` ask to write to a pipe end of the test whose peer has no descriptor.
  bool write_to_widowed_pipe(int fd, Events events) const {
    if (!(events & EVENT_WRITE) || at(fd) != At::kTest) return false;
    const File& file = files_.at(fd);
    return open_count({file.pipe, !file.write_end}) == 0;
  }

  // What one select(0) reports: descriptor -> events as the backend folds them (before the
  // iterator masks them by the key's events), or EBADF for the select backend.
  struct Expected {
    std::map<int, Events> ready;
    std::map<int, int> registration;  // descriptor -> registration id at select() time
    int error = 0;
    std::set<int> uncertain;  // registered descriptors whose report is left open (any events)
    bool stale = false;       // epoll: an item of an old registration reported (set rebuilt)
    bool partial = false;     // epoll: more ready items than the call has room for
  };

  // Python's fold of poll-like flags: anything but the read flag means writable, anything
  // but the write flag readable.
  static Events fold(bool in, bool out, bool other) {
    return ((in || other) ? EVENT_READ : 0) | ((out || other) ? EVENT_WRITE : 0);
  }

  Expected expected_select() const {
    Expected expected;
    for (const auto& [fd, registration] : registered_) {
      expected.registration[fd] = registration.id;
    }
    const auto asked = [](Events events, const Readiness& r) {
      const bool in = (events & EVENT_READ) && r.in;
      const bool out = (events & EVENT_WRITE) && r.out;
      return fold(in, out, r.hangup || r.error);
    };
    if (epoll()) {
      int ready_items = 0;
      for (const auto& [item, value] : epoll_items_) {
        const Events events = asked(value.events, readiness(item.second));
        if (!events) continue;
        ++ready_items;
        const auto current = registered_.find(item.first);
        if (current != registered_.end() && current->second.id == value.registration) {
          expected.ready[item.first] |= events;
        } else {
          expected.stale = true;
        }
      }
      // epoll_wait has room for every registration and the wakeup channel.
      expected.partial = ready_items > int(registered_.size()) + 1;
      return expected;
    }
    if (tracks_files()) {
      for (const auto& [fd, registration] : registered_) {
        if (registration.disturbed || uncertain_pipes_.count(files_.at(fd).pipe)) {
          expected.uncertain.insert(fd);
        } else if (const Events events = asked(registration.events, readiness(files_.at(fd)))) {
          expected.ready[fd] = events;
        }
      }
      return expected;
    }
    for (const auto& [fd, registration] : registered_) {
      const At now = at(fd);
      if (now == At::kForeign) throw Mismatch("model: registered number taken by the selector");
      if (now == At::kClosed) {
        if (traits_.select_fails_on_closed_descriptors) expected.error = EBADF;
        expected.ready[fd] = EVENT_READ | EVENT_WRITE;  // POLLNVAL
        continue;
      }
      const Readiness r = readiness(files_.at(fd));
      if (traits_.select_fails_on_closed_descriptors) {
        // Linux select(): readable on IN, HUP or ERR; writable on OUT or ERR.
        const Events events =
            (((registration.events & EVENT_READ) && (r.in || r.hangup || r.error)) ? EVENT_READ
                                                                                   : 0) |
            (((registration.events & EVENT_WRITE) && (r.out || r.error)) ? EVENT_WRITE : 0);
        if (events) expected.ready[fd] = events;
      } else if (const Events events = asked(registration.events, r)) {
        expected.ready[fd] = events;
      }
    }
    if (expected.error) expected.ready.clear();
    return expected;
  }

  // epoll's set after a rebuild: exactly the registrations whose number still names a file
  // of the test (closed numbers, and the selector's own new descriptor, cannot be added).
  void rebuild_epoll_items() {
    epoll_items_.clear();
    for (const auto& [fd, registration] : registered_) {
      if (at(fd) == At::kTest) epoll_items_[item_key(fd)] = {registration.events, registration.id};
    }
  }

  // Whether an entry of the result must still be reported when the iterator reaches it.
  // (An uncertain entry may have been reported with any events.)
  bool still_valid(int fd, const Expected& expected) const {
    const auto current = registered_.find(fd);
    const auto ready = expected.ready.find(fd);
    const Events events = ready != expected.ready.end() ? ready->second : EVENT_READ | EVENT_WRITE;
    return !closed_ && current != registered_.end() &&
           current->second.id == expected.registration.at(fd) &&
           (events & current->second.events) != 0;
  }

  void select_step(const Step& step) {
    const std::string call = "select(0)";
    if (closed_) {  // then a program makes a new selector
      expect(outcome_of([&] { selector_->select(0); }), fails(Outcome::kClosed), call);
      return new_selector();
    }
    ++stats_.selects;
    const Expected expected = expected_select();
    if (tracks_files()) {  // io_uring arms polls on what the registered numbers name now
      for (const auto& [fd, registration] : registered_) {
        if (at(fd) == At::kTest) watched_files_.insert(files_.at(fd));
      }
    }
    const std::optional<int> kernel_before = selector_->fileno();
    std::optional<ReadyList> result;
    expect(outcome_of([&] { result.emplace(selector_->select(0)); }),
           expected.error ? fails(Outcome::kSystem, expected.error) : ok(), call);
    if (expected.error) return;

    if (epoll()) {
      const bool rebuilt = selector_->fileno() != kernel_before;
      if (!expected.partial && rebuilt != expected.stale) {
        mismatch(std::string("epoll set ") + (rebuilt ? "rebuilt" : "not rebuilt") +
                 " after select(0), expected the opposite");
      }
      if (rebuilt) rebuild_epoll_items();
    }

    // Iterate as a program would, changing the selector from the loop body ("callbacks").
    for (const auto& [fd, events] : expected.ready) in_result_.push_back(fd);
    in_result_.insert(in_result_.end(), expected.uncertain.begin(), expected.uncertain.end());
    std::set<int> reported;
    std::set<int> invalidated;  // entries that stopped being valid at some point
    std::size_t action = 0;
    const std::string outer = step_number_;
    for (const auto& [key, events] : *result) {
      const int fd = key.fd;
      step_number_ = outer;
      note("  entry " + name_of(fd) + " " + mask_name(events));
      // A report of past readiness may name a registration that is not ready now, or with
      // the events it had then (data read since, a hangup since).
      const bool uncertain = expected.uncertain.count(fd) != 0 || traits_.may_report_past_readiness;
      if (!expected.ready.count(fd) && !uncertain) {
        mismatch("select(0) reported " + name_of(fd) + ", not ready");
      }
      if (!reported.insert(fd).second) mismatch("select(0) reported " + name_of(fd) + " twice");
      if (!still_valid(fd, expected)) {
        mismatch("select(0) reported " + name_of(fd) + ", whose registration changed since");
      }
      const Registration& registration = registered_.at(fd);
      const Events want =
          uncertain ? events & registration.events : expected.ready.at(fd) & registration.events;
      if (events == 0 || events != want) {
        mismatch("select(0) reported " + name_of(fd) + " " + mask_name(events) + ", expected " +
                 mask_name(want));
      }
      if (key.events != registration.events || std::any_cast<int>(key.data) != registration.data) {
        mismatch("the key reported for " + name_of(fd) + " is not the registered one");
      }
      for (int i = 0; i < kActionsPerEntry && action < step.nested.size(); ++i) {
        step_number_ = outer + "." + std::to_string(action + 1);
        execute(step.nested[action++]);
        for (const auto& [ready_fd, ready_events] : expected.ready) {
          if (!still_valid(ready_fd, expected)) invalidated.insert(ready_fd);
        }
      }
    }
    step_number_ = outer;
    in_result_.clear();
    stats_.entries += reported.size();
    for (const auto& [fd, events] : expected.ready) stats_.skipped += reported.count(fd) == 0;
    if (expected.partial) return;
    for (const auto& [fd, events] : expected.ready) {
      if (!reported.count(fd) && !invalidated.count(fd)) {
        mismatch("select(0) did not report " + name_of(fd) + " " + mask_name(events));
      }
    }
  }

  // ---- the map view against the model ----

  void check_map() {
    if (closed_) {
      const Outcome actual = outcome_of([&] { selector_->get_map(); });
      if (!actual.matches(fails(Outcome::kClosed)))
        mismatch("get_map() after close: " + actual.describe());
      return;
    }
    const SelectorMap& map = selector_->get_map();
    if (map.size() != registered_.size()) {
      mismatch("the map holds " + std::to_string(map.size()) + " keys, expected " +
               std::to_string(registered_.size()));
    }
    auto expected = registered_.begin();
    for (const SelectorKey& key : map) {  // ordered by descriptor, as the model
      if (expected == registered_.end() || key.fd != expected->first ||
          key.events != expected->second.events ||
          std::any_cast<int>(key.data) != expected->second.data) {
        mismatch("the map's key for " + name_of(key.fd) + " differs from the model");
      }
      ++expected;
    }
    for (int fd : seen_) {
      if (!registered_.count(fd) && map.get(fd) != nullptr) {
        mismatch("the map has " + name_of(fd) + ", which is not registered");
      }
    }
  }

  std::string backend_;
  std::ostream* log_;
  std::unique_ptr<Selector> selector_;
  std::string step_number_;
  std::vector<int> in_result_;  // the descriptors of the select() result being iterated
  Stats stats_;

  // The test's descriptors and pipes.
  std::map<int, UniqueFd> owned_;
  std::map<int, File> files_;       // open descriptor -> the file it names
  std::set<int> seen_;              // every number the test used (closed ones can be reused)
  std::vector<std::size_t> bytes_;  // per pipe: bytes written and not read

  // The model of the selector.
  BackendTraits traits_;
  bool closed_ = false;
  std::map<int, Registration> registered_;
  // tracks_files(): the files ever registered, and the pipes whose readiness is left open.
  std::set<File> watched_files_;
  std::set<int> uncertain_pipes_;
  int registrations_ = 0;
  std::map<std::pair<int, File>, EpollItem> epoll_items_;
};

// The first mismatch of `sequence` on `backend`, or nullopt when it runs as the model says.
std::optional<std::string> failure_of(const std::string& backend, const Sequence& sequence,
                                      std::ostream* log = nullptr, Stats* stats = nullptr) {
  try {
    Run run(backend, log);
    run.run(sequence);
    if (stats) stats->add(run.stats());
    return std::nullopt;
  } catch (const Mismatch& mismatch) {
    return mismatch.what();
  } catch (const std::exception& error) {
    return std::string("unexpected exception: ") + error.what();
  }
}

// Delta debugging (ddmin, by removal only): removes chunks of steps, halving the chunk size
// down to single steps, and single nested steps, while the sequence still fails; repeated
// until nothing more can go.
Sequence shrink(const std::string& backend, Sequence sequence) {
  const auto still_fails = [&](const Sequence& candidate) {
    return failure_of(backend, candidate).has_value();
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t chunk = std::max<std::size_t>(sequence.size() / 2, 1); chunk >= 1;
         chunk /= 2) {
      for (std::size_t start = 0; start < sequence.size();) {
        Sequence candidate = sequence;
        candidate.erase(candidate.begin() + long(start),
                        candidate.begin() + long(std::min(start + chunk, candidate.size())));
        if (still_fails(candidate)) {
          sequence = std::move(candidate);
          changed = true;
        } else {
          start += chunk;
        }
      }
    }
    for (Step& step : sequence) {
      for (std::size_t j = 0; j < step.nested.size();) {
        Step without = step;
        without.nested.erase(without.nested.begin() + long(j));
        std::swap(step, without);
        if (still_fails(sequence)) {
          changed = true;
        } else {
          std::swap(step, without);
          ++j;
        }
      }
    }
  }
  return sequence;
}

class ModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelTest, RandomSequencesFollowTheModel) {
  if (const char* seed = std::getenv("MODEL_TRACE_SEED")) {  // to read what a run does
    std::cout << failure_of(GetParam(),
                            random_sequence(std::uint32_t(std::atol(seed)), MODEL_STEPS),
                            &std::cout)
                     .value_or("(no mismatch)")
              << "\n";
  }
  Stats stats;
  for (std::uint32_t seed = 1; seed <= MODEL_RUNS; ++seed) {
    const Sequence sequence = random_sequence(seed, MODEL_STEPS);
    if (!failure_of(GetParam(), sequence, nullptr, &stats)) continue;
    const Sequence shortest = shrink(GetParam(), sequence);
    std::ostringstream replay;
    const std::optional<std::string> failure = failure_of(GetParam(), shortest, &replay);
    FAIL() << "seed " << seed << ": " << failure.value_or("(flaky: the shrunk sequence passed)")
           << "\nshortest failing sequence (" << shortest.size() << " of " << sequence.size()
           << " steps), replayed:\n"
           << replay.str();
  }
  std::cout << GetParam() << ": " << MODEL_RUNS << " sequences, " << stats.steps << " steps, "
            << stats.selects << " select(0) calls reporting " << stats.entries
            << " entries (and skipping " << stats.skipped << " made stale during iteration), "
            << stats.failed_calls << " calls that threw (" << stats.system_errors
            << " std::system_error)\n";
}

INSTANTIATE_TEST_SUITE_P(Backends, ModelTest, ::testing::ValuesIn(compiled_backend_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace seltool::testing
