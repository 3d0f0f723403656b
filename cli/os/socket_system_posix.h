// The system headers that declare sockets and their addresses, on POSIX systems. Included as
// "cli/os/socket_system.h"; cli/BUILD picks this file or windows/socket_system.h per OS.
#pragma once

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
