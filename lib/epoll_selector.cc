// The epoll backend: Linux epoll(7), level-triggered. Each registration stores its token
// (the descriptor and its registration's generation) in epoll_event.data. epoll watches open
// files, not descriptor numbers: a descriptor closed while a dup of it lives on (fork, dup)
// cannot be removed any more and keeps reporting. Such events carry a token that no longer
// matches; the core drops them and has the epoll set rebuilt without them (as libev does),
// so they cannot make select() spin.
#include <errno.h>
#include <sys/epoll.h>

#include <vector>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/os_error.h"
#include "lib/poll_like.h"
#include "lib/unique_fd.h"

namespace seltool {
namespace {

class EpollBackend final : public Backend {
 public:
  EpollBackend() : epoll_(create()) {}
  std::string_view name() const noexcept override { return "epoll"; }
  bool may_report_a_descriptor_twice() const noexcept override { return false; }

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

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t watched,
            std::vector<RawEvent>& events) override {
    // Room for every watched descriptor: one call returns all. (A smaller buffer and further
    // calls cost 10x at N=19962, A=1996: level-triggered epoll hands the same descriptors
    // out again, so a full batch cannot tell whether more are waiting.)
    if (kernel_events_.size() < watched) kernel_events_.resize(watched);
    const int n = ::epoll_wait(epoll_.get(), kernel_events_.data(), int(watched),
                               poll_like::timeout_ms(timeout));
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "epoll_wait");
    }
    for (const epoll_event* event = kernel_events_.data(); event != kernel_events_.data() + n;
         ++event) {
      const unsigned flags = event->events;
      events.push_back(raw_event(event->data.u64, poll_like::fold(flags, EPOLLIN, EPOLLOUT),
                                 poll_like::conditions(flags, EPOLLHUP, EPOLLERR, EPOLLPRI)));
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

  UniqueFd epoll_;
  std::vector<epoll_event> kernel_events_;
};

}  // namespace

std::unique_ptr<Backend> make_epoll_backend() { return std::make_unique<EpollBackend>(); }

}  // namespace seltool
