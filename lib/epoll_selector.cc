// The epoll backend: Linux epoll(7), level-triggered. Each registration stores its token
// (the descriptor and its registration's generation) in epoll_event.data. epoll watches open
// files, not descriptor numbers: a descriptor closed while a dup of it lives on (fork, dup)
// cannot be removed any more and keeps reporting. Such events carry a token that no longer
// matches; the core drops them and has the epoll set rebuilt without them (as libev does),
// so they cannot make select() spin.
#include <errno.h>
#include <sys/epoll.h>

#include <algorithm>
#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/os_error.h"
#include "lib/poll_like.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.has_kernel_object = true;
  traits.refuses_closed_descriptors = true;
  traits.modify_reaches_kernel = true;
  traits.keys_by_open_file = true;
  traits.reports_hangup = true;                 // EPOLLHUP
  traits.may_report_a_descriptor_twice = true;  // a full batch is asked again (see wait())
  return traits;
}();

class EpollBackend final : public Backend {
 public:
  EpollBackend() : epoll_(create()) {}
  std::string_view name() const noexcept override { return "epoll"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  void add(int fd, Events events, Token token) override {
    epoll_event event = event_for(events, token);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == -1)
      throw_os_error(errno, "epoll_ctl ADD", fd);
  }

  void modify(int fd, Events, Events new_events, Token token) override {
    epoll_event event = event_for(new_events, token);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) == -1)
      throw_os_error(errno, "epoll_ctl MOD", fd);
  }

  void remove(int fd, Events, Token) noexcept override {
    // EBADF (closed) and ENOENT (number reused) are expected here and harmless.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }

  // The buffer holds as many events as the busiest wait so far needed, not one per watched
  // descriptor: 12 bytes per ready descriptor rather than per watched one. A full batch may
  // have left ready descriptors out, so the buffer doubles and epoll_wait() is asked again
  // without waiting: level-triggered epoll returns the ones left out first and then those
  // just returned again (the core merges the repeats). A batch with room to spare, or with
  // room for every watched descriptor, holds them all. Only a round that finds more ready
  // descriptors than ever before makes more than one call.
  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t watched,
            std::vector<RawEvent>& events) override {
    int timeout_ms = poll_like::timeout_ms(timeout);
    std::size_t room = std::min(watched, std::max(kernel_events_.size(), kFirstBatch));
    for (;;) {
      if (kernel_events_.size() < room) kernel_events_.resize(room);
      const int n = ::epoll_wait(epoll_.get(), kernel_events_.data(), int(room), timeout_ms);
      if (n == -1) {
        if (errno == EINTR) return;
        throw_os_error(errno, "epoll_wait");
      }
      // Written in place: the buffer grows once per call, not once per event.
      const std::size_t before = events.size();
      events.resize(before + std::size_t(n));
      RawEvent* out = events.data() + before;
      for (const epoll_event* event = kernel_events_.data(); event != kernel_events_.data() + n;
           ++event) {
        const auto converted = Flags::convert(event->events);
        *out++ = raw_event(event->data.u64, converted.events, converted.conditions);
      }
      if (std::size_t(n) < room || room == watched) return;
      room = std::min(watched, 2 * room);
      timeout_ms = 0;
    }
  }

  // EPERM: the file has no poll support in the kernel, so it never blocks (regular files,
  // /dev/null, ...).
  bool refuses_never_blocking(int error) const noexcept override { return error == EPERM; }

  bool reset_after_stale_events() override {
    epoll_ = UniqueFd(create());
    return true;
  }

  void close() noexcept override {
    epoll_.reset();
    kernel_events_ = {};
  }

  std::optional<int> fileno() const noexcept override { return epoll_.get(); }

 private:
  static int create() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd == -1) throw_os_error(errno, "epoll_create1");
    return fd;
  }

  static epoll_event event_for(Events events, Token token) {
    epoll_event event{};
    event.events = poll_like::flags_for(events, EPOLLIN, EPOLLOUT);
    event.data.u64 = token;
    return event;
  }

  static constexpr std::size_t kFirstBatch = 64;
  using Flags = poll_like::FlagTable<EPOLLIN, EPOLLOUT, EPOLLHUP, EPOLLERR, EPOLLPRI>;

  UniqueFd epoll_;
  std::vector<epoll_event> kernel_events_;
};

}  // namespace

std::unique_ptr<Backend> make_epoll_backend() { return std::make_unique<EpollBackend>(); }

}  // namespace seltool
