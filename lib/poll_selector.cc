// The poll backend: poll(2). The pollfd array is kept up to date on every change (swap-remove),
// so a select() passes it to the kernel as it is.
#include <errno.h>
#include <poll.h>

#include <cstdint>
#include <string>
#include <utility>
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
  traits.reports_closed_descriptors = true;  // POLLNVAL
  traits.watches_regular_files = true;       // always ready
  traits.reports_hangup = true;              // POLLHUP
  return traits;
}();

class PollBackend final : public Backend {
 public:
  std::string_view name() const noexcept override { return "poll"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  void add(int fd, Events events, Token) override {
    if (std::size_t(fd) >= position_.size()) {
      poll_like::refuse_impossible_descriptor(fd);
      grow_to(position_, std::size_t(fd) + 1, kAbsent);
    }
    reserve_for(pollfds_, pollfds_.size() + 1);
    pollfds_.push_back({fd, flags(events), 0});
    position_[fd] = std::uint32_t(pollfds_.size() - 1);
  }

  void modify(int fd, Events, Events new_events, Token) override {
    pollfds_[position_[fd]].events = flags(new_events);
  }

  void remove(int fd, Events, Token) noexcept override {
    const std::uint32_t at = position_[fd];
    pollfds_[at] = pollfds_.back();
    position_[pollfds_[at].fd] = at;
    pollfds_.pop_back();
    position_[fd] = kAbsent;
  }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t,
            std::vector<RawEvent>& events) override {
    const int n = ::poll(pollfds_.data(), nfds_t(pollfds_.size()), poll_like::timeout_ms(timeout));
    if (n == -1) {
      if (errno == EINTR) return;
      throw_os_error(errno, "poll");
    }
    // Written in place: n entries have revents, so the buffer grows once.
    const std::size_t before = events.size();
    events.resize(before + std::size_t(n));
    RawEvent* out = events.data() + before;
    RawEvent* const end = out + n;
    for (auto entry = pollfds_.begin(); out != end; ++entry) {
      if (entry->revents == 0) continue;
      const auto converted = Flags::convert(unsigned(entry->revents));
      *out++ = raw_event(token::of_descriptor(entry->fd), converted.events, converted.conditions);
    }
  }

  void close() noexcept override {
    pollfds_ = {};
    position_ = {};
  }

 private:
  static constexpr std::uint32_t kAbsent = UINT32_MAX;
  using Flags = poll_like::FlagTable<POLLIN, POLLOUT, POLLHUP, POLLERR | POLLNVAL, POLLPRI>;

  static short flags(Events events) { return short(poll_like::flags_for(events, POLLIN, POLLOUT)); }

  std::vector<pollfd> pollfds_;
  std::vector<std::uint32_t> position_;  // descriptor -> index in pollfds_
};

}  // namespace

std::unique_ptr<Backend> make_poll_backend() { return std::make_unique<PollBackend>(); }

}  // namespace seltool
