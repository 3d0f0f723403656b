// The system headers that declare sockets and their addresses, on Windows (Winsock 2).
// Included as "cli/os/socket_system.h"; cli/BUILD picks this file or posix/socket_system.h per OS.
#pragma once

#include <winsock2.h>
#include <ws2tcpip.h>
