// The system headers that declare sockets and their addresses, on Windows (Winsock 2).
// Included as "cli/os/socket_system.h": cli/os/BUILD copies this file or socket_system_posix.h
// there.
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
