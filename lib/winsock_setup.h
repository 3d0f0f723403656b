// Winsock set-up shared by the Windows files of the library (defined in
// winsock_setup_windows.cc).
#pragma once

#include <system_error>

namespace seltool::winsock {

// Starts Winsock (WSAStartup 2.2) once per process, the first time a selector is created;
// WSACleanup runs at exit. Throws std::system_error when Winsock cannot start.
void ensure_started();

// Throws std::system_error (WSAENOTSOCK, system_category) unless `fd` is an open socket: on
// Windows only sockets can be registered, with any backend.
void require_socket(int fd);

// The last Winsock error (WSAGetLastError) as a std::system_error in system_category().
[[noreturn]] void throw_last_error(const char* what);

}  // namespace seltool::winsock
