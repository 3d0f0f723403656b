// One select() round per backend, through the library and written directly against the
// system call, over the same descriptors (select_round.cc times them, instructions.cc counts
// their instructions under callgrind).
#pragma once

#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "bench/selectors/descriptor_pool.h"
#include "lib/selectors.h"
#include "lib/unique_fd.h"

namespace seltool::bench {

// Each round object watches a pool's descriptors for reading; operator() runs one round
// and returns how many descriptors it saw ready, after adding what it touched to a checksum.

class LibraryRound {
 public:
  LibraryRound(const std::string& backend, const DescriptorPool& pool)
      : selector_(make_selector(backend)) {
    for (int fd : pool.fds()) selector_->register_file(fd, EVENT_READ);
  }
  int operator()() {
    int seen = 0;
    for (auto [key, events] : selector_->select(0)) {
      checksum_ += unsigned(key.fd) + events;
      ++seen;
    }
    return seen;
  }

 private:
  std::unique_ptr<Selector> selector_;
  unsigned checksum_ = 0;
};

class RawPollRound {
 public:
  explicit RawPollRound(const DescriptorPool& pool) {
    for (int fd : pool.fds()) pollfds_.push_back({fd, POLLIN, 0});
  }
  int operator()() {
    int left = ::poll(pollfds_.data(), nfds_t(pollfds_.size()), 0);
    const int seen = left;
    for (const pollfd& entry : pollfds_) {
      if (left <= 0) break;
      if (entry.revents == 0) continue;
      --left;
      checksum_ += unsigned(entry.fd) + unsigned(entry.revents);
    }
    return seen;
  }

 private:
  std::vector<pollfd> pollfds_;
  unsigned checksum_ = 0;
};

class RawEpollRound {
 public:
  explicit RawEpollRound(const DescriptorPool& pool)
      : epoll_(::epoll_create1(EPOLL_CLOEXEC)), events_(pool.fds().size()) {
    for (int fd : pool.fds()) {
      epoll_event event{};
      event.events = EPOLLIN;
      event.data.fd = fd;
      if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &event) == -1) events_.clear();
    }
  }
  int operator()() {
    const int ready = ::epoll_wait(epoll_.get(), events_.data(), int(events_.size()), 0);
    for (int i = 0; i < ready; ++i) checksum_ += unsigned(events_[i].data.fd) + events_[i].events;
    return ready;
  }

 private:
  UniqueFd epoll_;
  std::vector<epoll_event> events_;
  unsigned checksum_ = 0;
};

class RawSelectRound {
 public:
  explicit RawSelectRound(const DescriptorPool& pool) {
    FD_ZERO(&readers_);
    for (int fd : pool.fds()) {
      FD_SET(fd, &readers_);
      max_fd_ = std::max(max_fd_, fd);
    }
  }
  int operator()() {
    fd_set readable = readers_;
    timeval zero{};
    int left = ::select(max_fd_ + 1, &readable, nullptr, nullptr, &zero);
    const int seen = left;
    for (int fd = 0; fd <= max_fd_ && left > 0; ++fd) {
      if (!FD_ISSET(fd, &readable)) continue;
      --left;
      checksum_ += unsigned(fd);
    }
    return seen;
  }

 private:
  fd_set readers_;
  int max_fd_ = -1;
  unsigned checksum_ = 0;
};

}  // namespace seltool::bench
