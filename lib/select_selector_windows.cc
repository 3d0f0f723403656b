// The select backend on Windows: Winsock select() over SOCKET handles, as CPython does it.
// - An fd_set there is a list of up to FD_SETSIZE sockets (not a bitmap of numbers), so the
//   limit is a count: at most FD_SETSIZE sockets for reading (the wakeup channel is one of
//   them) and FD_SETSIZE for writing. More is refused at registration.
// - Sockets watched for writing are watched for exceptions too and reported writable
//   (with CONDITION_ERROR): a failed non-blocking connect() is reported only there.
// - Only sockets can be registered: anything else is refused at registration with a
//   std::system_error holding WSAENOTSOCK (system_category), where POSIX select accepts any
//   descriptor.
#define FD_SETSIZE 512  // CPython's value; must come before winsock2.h (its default is 64)
#include <winsock2.h>

#include <algorithm>
#include <string>
#include <system_error>

#include "lib/backend.h"
#include "lib/backends.h"
#include "lib/winsock_setup.h"

namespace seltool {
namespace {

constexpr BackendTraits kTraits = [] {
  BackendTraits traits;
  traits.refuses_closed_descriptors = true;     // WSAENOTSOCK: only open sockets are accepted
  traits.may_report_a_descriptor_twice = true;  // one entry per set a socket is ready in
  return traits;
}();

bool contains(const fd_set& set, SOCKET s) {
  return std::find(set.fd_array, set.fd_array + set.fd_count, s) != set.fd_array + set.fd_count;
}

void insert(fd_set& set, SOCKET s) {
  if (!contains(set, s)) set.fd_array[set.fd_count++] = s;
}

void erase(fd_set& set, SOCKET s) {
  SOCKET* const end = set.fd_array + set.fd_count;
  SOCKET* const at = std::find(set.fd_array, end, s);
  if (at == end) return;
  *at = end[-1];
  --set.fd_count;
}

class SelectBackend final : public Backend {
 public:
  SelectBackend() {
    FD_ZERO(&readers_);
    FD_ZERO(&writers_);
  }
  std::string_view name() const noexcept override { return "select"; }
  const BackendTraits& traits() const noexcept override { return kTraits; }

  void add(int fd, Events events, Token) override {
    winsock::require_socket(fd);
    require_room_for(fd, events);
    set(fd, events);
  }

  void modify(int fd, Events, Events new_events, Token) override {
    require_room_for(fd, new_events);
    set(fd, new_events);
  }

  void remove(int fd, Events, Token) noexcept override { set(fd, 0); }

  void wait(std::optional<std::chrono::nanoseconds> timeout, std::size_t,
            std::vector<RawEvent>& events) override {
    fd_set readable = readers_;
    fd_set writable = writers_;
    fd_set failed = writers_;
    timeval tv{};
    if (timeout) {
      // Rounded up to microseconds; beyond 1e8 s the wait is cut and select() waits again.
      constexpr long long kMaxSeconds = 100'000'000;
      const auto us = std::chrono::ceil<std::chrono::microseconds>(*timeout).count();
      tv.tv_sec = long(std::min<long long>(us / 1'000'000, kMaxSeconds));
      tv.tv_usec = long(tv.tv_sec == kMaxSeconds ? 0 : us % 1'000'000);
    }
    // The read set is never empty (the core adds the wakeup channel first), which Winsock
    // would refuse.
    if (::select(0, &readable, &writable, &failed, timeout ? &tv : nullptr) == SOCKET_ERROR) {
      const int error = ::WSAGetLastError();
      if (error == WSAEINTR) return;
      throw std::system_error(error, std::system_category(), "select");
    }
    // Winsock returns just the ready sockets in each set; the core merges a socket's entries.
    auto add = [&](const fd_set& set, Events ready, Conditions conditions) {
      for (u_int i = 0; i < set.fd_count; ++i) {
        events.push_back(raw_event(token::of_descriptor(int(set.fd_array[i])), ready, conditions));
      }
    };
    add(readable, EVENT_READ, 0);
    add(writable, EVENT_WRITE, 0);
    add(failed, EVENT_WRITE, CONDITION_ERROR);
  }

  void close() noexcept override {}

 private:
  static void require_room(const fd_set& set, SOCKET s, const char* purpose) {
    if (set.fd_count < FD_SETSIZE || contains(set, s)) return;
    throw std::invalid_argument(std::string("too many sockets watched for ") + purpose +
                                " by select() (FD_SETSIZE is " + std::to_string(FD_SETSIZE) + ")");
  }

  void require_room_for(int fd, Events events) const {
    if (events & EVENT_READ) require_room(readers_, SOCKET(fd), "reading");
    if (events & EVENT_WRITE) require_room(writers_, SOCKET(fd), "writing");
  }

  void set(int fd, Events events) {
    const SOCKET s = SOCKET(fd);
    if (events & EVENT_READ)
      insert(readers_, s);
    else
      erase(readers_, s);
    if (events & EVENT_WRITE)
      insert(writers_, s);
    else
      erase(writers_, s);
  }

  fd_set readers_;
  fd_set writers_;
};

}  // namespace

std::unique_ptr<Backend> make_select_backend() { return std::make_unique<SelectBackend>(); }

int select_fd_setsize() noexcept { return FD_SETSIZE; }

}  // namespace seltool
