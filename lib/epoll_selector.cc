// EpollSelector: Linux epoll(7), level-triggered. Each registration stores a token (the
// descriptor and its registration's generation) in epoll_event.data. epoll watches open
// files, not descriptor numbers: a descriptor closed while a dup of it lives on (fork, dup)
// cannot be removed any more and keeps reporting. Such events carry a token that no longer
// matches; they are dropped, and the epoll set is rebuilt without them (as libev does), so
// they cannot make select() spin.
#include <errno.h>
#include <sys/epoll.h>

#include <string>
#include <vector>

#include "lib/backends.h"
#include "lib/os_error.h"
#include "lib/poll_like.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

class EpollSelector final : public Selector {
 public:
  EpollSelector() : epoll_(create()) {}
  std::string_view name() const noexcept override { return "epoll"; }

 private:
  static int create() {
    const int fd = ::epoll_create1(EPOLL_CLOEXEC);
    if (fd == -1) throw_os_error(errno, "epoll_create1");
    return fd;
  }

  static epoll_event event_for(Events events, std::uint64_t token) {
    epoll_event event{};
    event.events = poll_like::flags_for(events, EPOLLIN, EPOLLOUT);
    event.data.u64 = token;
    return event;
  }

  void add_to_kernel(int fd, Events events, std::uint64_t token) override {
    epoll_event event = event_for(events, token);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == -1)
      throw_os_error(errno, "epoll_ctl ADD", fd);
  }

  void modify_in_kernel(int fd, Events, Events new_events, std::uint64_t token) override {
    epoll_event event = event_for(new_events, token);
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &event) == -1)
      throw_os_error(errno, "epoll_ctl MOD", fd);
  }

  void remove_from_kernel(int fd, Events) noexcept override {
    // EBADF (closed) and ENOENT (number reused) are expected here and harmless.
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  }

  // EPERM: the file has no poll support in the kernel, so it never blocks (regular files,
  // /dev/null, ...).
  bool refuses_never_blocking(int error) const noexcept override { return error == EPERM; }

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
    // Room for every registered descriptor and the wakeup channel: one call returns all.
    if (events_.size() < registered_count() + 1) events_.resize(registered_count() + 1);
    const int n = ::epoll_wait(epoll_.get(), events_.data(), int(events_.size()),
                               poll_like::timeout_ms(timeout));
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "epoll_wait");
    }
    bool stale = false;
    for (int i = 0; i < n; ++i) {
      const unsigned flags = events_[i].events;
      stale |= !report_token(events_[i].data.u64, poll_like::fold(flags, EPOLLIN, EPOLLOUT),
                             poll_like::conditions(flags, EPOLLHUP, EPOLLERR, EPOLLPRI));
    }
    if (stale) rebuild();
  }

  // A fresh epoll set holding exactly the current registrations. Descriptors that can no
  // longer be added (closed without being unregistered) are left out: they have no file to
  // watch, and unregister() ignores the kernel's answer anyway.
  void rebuild() {
    UniqueFd fresh(create());
    auto add = [&](int fd, Events events, std::uint64_t token) {
      epoll_event event = event_for(events, token);
      ::epoll_ctl(fresh.get(), EPOLL_CTL_ADD, fd, &event);
    };
    add(wakeup_fd(), EVENT_READ, std::uint64_t(wakeup_fd()));
    for (const SelectorKey& key : get_map()) add(key.fd, key.events, registration_token(key.fd));
    epoll_ = std::move(fresh);
  }

  void close_kernel() noexcept override {
    epoll_.reset();
    events_ = {};
  }

  std::optional<int> kernel_fd() const noexcept override { return epoll_.get(); }

  UniqueFd epoll_;
  std::vector<epoll_event> events_;
};

}  // namespace

std::unique_ptr<Selector> make_epoll_selector() { return std::make_unique<EpollSelector>(); }

}  // namespace seltool
