// The io_uring backend (Linux 5.13+), through liburing: readiness by IORING_OP_POLL_ADD.
//
// Python's selectors are level-triggered: a descriptor that stays readable is reported by
// every select(). A multishot poll posts a completion per wakeup (an edge), so it cannot
// say "still readable"; each registration therefore has one one-shot poll armed at a time,
// and a poll that completed is armed again at the next select(), where it completes at once
// if the descriptor is still ready. A completion only says that readiness began (with the
// flags of the wakeup, which may be more than the descriptor is ready for: a TCP urgent byte
// wakes readers); one poll() of the descriptors whose polls completed says what each is
// ready for when select() returns, as the other backends report it. Every change (new polls,
// re-arms, mask updates, cancellations) is queued in the submission ring and submitted with the
// wait: one io_uring_enter() per select(), none per register/modify/unregister.
//
// Like epoll, io_uring watches open files: a registered descriptor closed without being
// unregistered is not reported (its poll holds the file until unregister() cancels it).
// Descriptors that are not open are refused at registration (EBADF), as epoll refuses them;
// regular files and other files that never block are reported ready, as poll reports them.
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <poll.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/growth.h"
#include "lib/os_error.h"
#include "lib/poll_like.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.has_kernel_object = true;
  traits.refuses_closed_descriptors = true;  // checked before queueing, as epoll refuses them
  traits.watches_regular_files = true;       // a poll of a regular file completes at once
  traits.modify_reaches_kernel = true;      // the descriptor is checked before the change is queued
  traits.reports_hangup = true;             // POLLHUP
  traits.may_report_past_readiness = true;  // a poll completes when readiness begins
  traits.may_report_a_descriptor_twice = true;
  return traits;
}();

class IoUringBackend final : public Backend {
 public:
  IoUringBackend() {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE;
    params.cq_entries = kCompletionEntries;
    if (const int error = io_uring_queue_init_params(kSubmissionEntries, &ring_, &params)) {
      throw_os_error(-error, "io_uring_queue_init");
    }
    open_ = true;
    // Waits with a timeout in one call need EXT_ARG (5.11); poll mask updates need 5.13,
    // which is when RSRC_TAGS came.
    if (!(ring_.features & IORING_FEAT_EXT_ARG) || !(ring_.features & IORING_FEAT_RSRC_TAGS)) {
      close();
      throw_os_error(ENOSYS, "io_uring: this kernel is older than 5.13");
    }
  }
  ~IoUringBackend() override { close(); }

  std::string_view name() const noexcept override { return "io_uring"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  void add(int fd, Events events, Token token) override {
    require_open(fd, "register");
    if (std::size_t(fd) >= watches_.size()) grow_to(watches_, std::size_t(fd) + 1);
    reserve_for(to_arm_, to_arm_.size() + 1);  // may throw: before any change
    Watch& watch = watches_[fd];
    watch.token = token;
    watch.mask = mask_for(events);
    watch.registered = true;
    queue_arm(fd);
  }

  void modify(int fd, Events, Events new_events, Token) override {
    require_open(fd, "modify");
    Watch& watch = watches_[fd];
    watch.mask = mask_for(new_events);
    // An armed poll gets the new mask in place; one that completed meanwhile fails the
    // update (ENOENT, ignored) and is armed again with the new mask at the next select().
    if (watch.armed) {
      if (io_uring_sqe* sqe = next_sqe()) {
        // No new user_data: the kernel refuses one without IORING_POLL_UPDATE_USER_DATA
        // (EINVAL at submission, which also stops the rest of the batch until the next
        // io_uring_enter(): found by tests/lib/model_test).
        io_uring_prep_poll_update(sqe, watch.token, 0, watch.mask, IORING_POLL_UPDATE_EVENTS);
        io_uring_sqe_set_data64(sqe, kIgnored);
      }
    }
  }

  void remove(int fd, Events, Token) noexcept override {
    Watch& watch = watches_[fd];
    if (watch.armed) {
      // The cancelled poll completes with ECANCELED, which wait() ignores. Without room in
      // the ring the poll stays until it fires; its token then names no registration.
      if (io_uring_sqe* sqe = next_sqe()) {
        io_uring_prep_poll_remove(sqe, watch.token);
        io_uring_sqe_set_data64(sqe, kIgnored);
      }
    }
    // Still in to_arm_ if queued (arm_queued() skips it): a registration of the same
    // descriptor before the next wait must not queue it twice, or a loop that registers and
    // unregisters without select() would grow to_arm_ without bound.
    const bool queued = watch.queued;
    watch = Watch{};
    watch.queued = queued;
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t,
            std::vector<RawEvent>& events) override {
    arm_queued();
    int result;
    if (timeout && timeout->count() == 0) {
      result = io_uring_submit_and_get_events(&ring_);
    } else {
      io_uring_cqe* cqe = nullptr;
      __kernel_timespec limit{};
      if (timeout) {
        limit.tv_sec = timeout->count() / 1'000'000'000;
        limit.tv_nsec = timeout->count() % 1'000'000'000;
      }
      result =
          io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, timeout ? &limit : nullptr, nullptr);
    }
    if (result < 0 && result != -ETIME && result != -EINTR) {
      throw_os_error(-result, "io_uring_enter");
    }
    // Completions beyond the ring's size wait in the kernel's overflow list: fetched in
    // rounds, so one select() still returns everything ready.
    for (int round = 0; round < 64; ++round) {
      reap(events);
      if (!io_uring_cq_has_overflow(&ring_)) break;
      io_uring_get_events(&ring_);
    }
    report_current_readiness(events);
  }

  void close() noexcept override {
    if (!open_) return;
    open_ = false;
    io_uring_queue_exit(&ring_);
    watches_ = {};
    to_arm_ = {};
  }

  std::optional<int> fileno() const noexcept override { return ring_.ring_fd; }

 private:
  static constexpr unsigned kSubmissionEntries = 128;
  static constexpr unsigned kCompletionEntries = 512;
  // user_data of operations whose completion says nothing about readiness.
  static constexpr std::uint64_t kIgnored = token::make(-2, token::kAnyGeneration);

  struct Watch {
    Token token = 0;
    std::uint32_t mask = 0;
    bool registered = false;
    bool armed = false;   // a poll is in the kernel, its completion not reaped yet
    bool queued = false;  // in to_arm_
  };

  static std::uint32_t mask_for(Events events) {
    return poll_like::flags_for(events, POLLIN, POLLOUT);
  }

  // epoll's answer for a descriptor that is not open, found before anything is queued.
  static void require_open(int fd, const char* operation) {
    if (::fcntl(fd, F_GETFD) == -1) throw_os_error(errno, std::string("io_uring ") + operation, fd);
  }

  // The next free submission entry, submitting what is queued when the ring is full.
  io_uring_sqe* next_sqe() noexcept {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (!sqe && io_uring_submit(&ring_) >= 0) sqe = io_uring_get_sqe(&ring_);
    return sqe;
  }

  void queue_arm(int fd) {
    Watch& watch = watches_[fd];
    if (watch.queued || watch.armed) return;
    watch.queued = true;
    to_arm_.push_back(fd);  // room reserved by the caller or by reap()
  }

  void arm_queued() {
    for (const int fd : to_arm_) {
      Watch& watch = watches_[fd];
      watch.queued = false;
      if (!watch.registered || watch.armed) continue;
      io_uring_sqe* sqe = next_sqe();
      if (!sqe) throw_os_error(EBUSY, "io_uring: no submission entry free");
      io_uring_prep_poll_add(sqe, fd, watch.mask);
      io_uring_sqe_set_data64(sqe, watch.token);
      watch.armed = true;
    }
    to_arm_.clear();
  }

  void reap(std::vector<RawEvent>& events) {
    const std::size_t most = completed_.size() + io_uring_cq_ready(&ring_);
    completed_.reserve(most);  // may throw: before any completion is taken
    completed_tokens_.reserve(most);
    unsigned head;
    unsigned seen = 0;
    io_uring_cqe* cqe;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      ++seen;
      const Token token = cqe->user_data;
      if (token == kIgnored || cqe->res == -ECANCELED) continue;
      const int fd = token::fd(token);
      if (fd < 0 || std::size_t(fd) >= watches_.size() || watches_[fd].token != token ||
          !watches_[fd].registered) {
        continue;  // of an ended registration
      }
      Watch& watch = watches_[fd];
      watch.armed = false;
      if (to_arm_.size() == to_arm_.capacity()) to_arm_.reserve(watches_.size());
      queue_arm(fd);
      if (cqe->res < 0) {
        // The poll's own failure (the file went away): an error, as poll's POLLNVAL.
        push_event(token, POLLERR, events);
      } else {
        completed_.push_back(pollfd{fd, short(watch.mask), 0});
        completed_tokens_.push_back(token);
      }
    }
    io_uring_cq_advance(&ring_, seen);
  }

  // A completion says that readiness began, with the flags of the wakeup (a TCP urgent byte
  // wakes readers with POLLIN, although nothing can be read), possibly before a read drained
  // it. One poll() of the completed descriptors says what they are ready for now: the level-
  // triggered answer the other backends give. Those not ready any more are re-armed anyway.
  void report_current_readiness(std::vector<RawEvent>& events) {
    if (completed_.empty()) return;
    int ready;
    do {
      ready = ::poll(completed_.data(), nfds_t(completed_.size()), 0);
    } while (ready == -1 && errno == EINTR);
    if (ready == -1) {
      const int error = errno;
      completed_.clear();
      completed_tokens_.clear();
      throw_os_error(error, "io_uring: poll");
    }
    for (std::size_t i = 0; i < completed_.size(); ++i) {
      if (completed_[i].revents != 0) {
        push_event(completed_tokens_[i], unsigned(completed_[i].revents), events);
      }
    }
    completed_.clear();
    completed_tokens_.clear();
  }

  static void push_event(Token token, unsigned revents, std::vector<RawEvent>& events) {
    events.push_back(
        raw_event(token, poll_like::fold(revents, POLLIN, POLLOUT),
                  poll_like::conditions(revents, POLLHUP, POLLERR | POLLNVAL, POLLPRI)));
  }

  io_uring ring_{};
  bool open_ = false;
  std::vector<Watch> watches_;  // by descriptor
  std::vector<int> to_arm_;     // descriptors whose poll is armed at the next wait
  // The polls that completed in this wait, and their tokens: report_current_readiness().
  std::vector<pollfd> completed_;
  std::vector<Token> completed_tokens_;
};

}  // namespace

std::unique_ptr<Backend> make_io_uring_backend() { return std::make_unique<IoUringBackend>(); }

}  // namespace seltool
