// The system headers that declare sockets and their addresses, on POSIX systems. Included as
// "cli/os/socket_system.h": cli/os/BUILD copies this file or socket_system_windows.h there.
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
