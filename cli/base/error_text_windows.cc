// Windows' C runtime names only the classic errno values; the socket ones that
// socket_ops_windows.cc reports get the text POSIX systems give them.
#include <errno.h>

#include <cstring>

#include "cli/base/error_info.h"

namespace seltool::cli {

std::string error_text(int errnum) {
  switch (errnum) {
    case EWOULDBLOCK:
      return "Operation would block";
    case EINPROGRESS:
      return "Operation now in progress";
    case EALREADY:
      return "Operation already in progress";
    case ENOTSOCK:
      return "Socket operation on non-socket";
    case EAFNOSUPPORT:
      return "Address family not supported by protocol";
    case EADDRINUSE:
      return "Address already in use";
    case EADDRNOTAVAIL:
      return "Cannot assign requested address";
    case ENETDOWN:
      return "Network is down";
    case ENETUNREACH:
      return "Network is unreachable";
    case ECONNABORTED:
      return "Software caused connection abort";
    case ECONNRESET:
      return "Connection reset by peer";
    case ENOBUFS:
      return "No buffer space available";
    case ENOTCONN:
      return "Transport endpoint is not connected";
    case ETIMEDOUT:
      return "Connection timed out";
    case ECONNREFUSED:
      return "Connection refused";
    case EHOSTUNREACH:
      return "No route to host";
    default:
      return std::strerror(errnum);
  }
}

}  // namespace seltool::cli
