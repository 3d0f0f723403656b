// SelectSelector on Windows: Winsock select() over SOCKET handles, as CPython does it.
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

#include "lib/backends.h"

namespace seltool {
namespace {

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

class SelectSelector final : public Selector {
 public:
  SelectSelector() {
    FD_ZERO(&readers_);
    FD_ZERO(&writers_);
    // Watched from the start so that it always has its place in the read set.
    insert(readers_, SOCKET(wakeup_fd()));
  }
  std::string_view name() const noexcept override { return "select"; }

 private:
  static void require_socket(int fd) {
    int type = 0;
    int length = sizeof type;
    if (::getsockopt(SOCKET(fd), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &length) ==
        SOCKET_ERROR) {
      throw std::system_error(::WSAGetLastError(), std::system_category(),
                              "handle " + std::to_string(fd) +
                                  " is not a socket (on Windows only sockets can be registered)");
    }
  }

  static void require_room(const fd_set& set, SOCKET s, const char* purpose) {
    if (set.fd_count < FD_SETSIZE || contains(set, s)) return;
    throw std::invalid_argument(std::string("too many sockets watched for ") + purpose +
                                " by select() (FD_SETSIZE is " + std::to_string(FD_SETSIZE) + ")");
  }

  void require_room_for(int fd, Events events) const {
    if (events & EVENT_READ) require_room(readers_, SOCKET(fd), "reading");
    if (events & EVENT_WRITE) require_room(writers_, SOCKET(fd), "writing");
  }

  void add_to_kernel(int fd, Events events, std::uint64_t) override {
    if (fd == wakeup_fd()) return;  // in the read set since construction
    require_socket(fd);
    require_room_for(fd, events);
    set(fd, events);
  }

  void modify_in_kernel(int fd, Events, Events new_events, std::uint64_t) override {
    require_room_for(fd, new_events);
    set(fd, new_events);
  }

  void remove_from_kernel(int fd, Events) noexcept override { set(fd, 0); }

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

  void wait(std::optional<std::chrono::nanoseconds> timeout) override {
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
    // The read set is never empty (the wakeup channel), which Winsock would refuse.
    if (::select(0, &readable, &writable, &failed, timeout ? &tv : nullptr) == SOCKET_ERROR) {
      const int error = ::WSAGetLastError();
      if (error == WSAEINTR) return;
      throw std::system_error(error, std::system_category(), "select");
    }
    // Winsock returns just the ready sockets in each set.
    for (u_int i = 0; i < readable.fd_count; ++i) report(int(readable.fd_array[i]), EVENT_READ);
    for (u_int i = 0; i < writable.fd_count; ++i) report(int(writable.fd_array[i]), EVENT_WRITE);
    for (u_int i = 0; i < failed.fd_count; ++i) {
      report(int(failed.fd_array[i]), EVENT_WRITE, CONDITION_ERROR);
    }
  }

  fd_set readers_;
  fd_set writers_;
};

}  // namespace

std::unique_ptr<Selector> make_select_selector() { return std::make_unique<SelectSelector>(); }

int select_fd_setsize() noexcept { return FD_SETSIZE; }

}  // namespace seltool
