#include <winsock2.h>

#include <string>

#include "lib/winsock_setup.h"

namespace seltool::winsock {
namespace {

class Startup {
 public:
  Startup() {
    WSADATA data;
    // WSAStartup returns its error instead of setting WSAGetLastError().
    if (const int error = ::WSAStartup(MAKEWORD(2, 2), &data)) {
      throw std::system_error(error, std::system_category(), "WSAStartup");
    }
  }
  ~Startup() { ::WSACleanup(); }
  Startup(const Startup&) = delete;
  Startup& operator=(const Startup&) = delete;
};

}  // namespace

void ensure_started() {
  // A function-local static: thread-safe, and retried on the next call if it threw.
  static const Startup startup;
}

void require_socket(int fd) {
  int type = 0;
  int length = sizeof type;
  if (::getsockopt(SOCKET(fd), SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &length) ==
      SOCKET_ERROR) {
    throw std::system_error(::WSAGetLastError(), std::system_category(),
                            "handle " + std::to_string(fd) +
                                " is not a socket (on Windows only sockets can be registered)");
  }
}

void throw_last_error(const char* what) {
  throw std::system_error(::WSAGetLastError(), std::system_category(), what);
}

}  // namespace seltool::winsock
